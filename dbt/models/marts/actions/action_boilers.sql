-- marts.action_boilers: boilers on plan task 21's lists. Grain: boiler (enterprise × unit_id) ×
-- rule_id. Thresholds (4 t/h, 10 t/h) come from the inventory_action_rules seed.
with rules as (
    select * from {{ ref('inventory_action_rules') }} where action_list = 'action_boilers'
),

ledger as (
    select
        enterprise_id, unit_id,
        {{ inventory_code('co_firing') }} as co_firing,
        {{ inventory_code('fgr_valve') }} as fgr_valve,
        dedicated_burner, auto_monitoring, monitoring_networked
    from {{ ref('stg_ledgers__boilers') }}
),

monitored_outlets as (
    select enterprise_id, unit_id,
        bool_or(nullif(trim(mn), '') is not null) as has_mn,
        bool_or(nullif(trim(mn), '') is not null and networked) as mn_networked
    from {{ ref('stg_registry__outlets') }}
    where nullif(trim(unit_id), '') is not null
    group by enterprise_id, unit_id
),

boilers as (
    select
        u.enterprise_id, u.unit_id, u.fuel, u.fuel_item, u.capacity_t_h, u.status, u.commissioned_year,
        u.low_nox_burner, l.co_firing, l.fgr_valve, l.dedicated_burner,
        -- the ledger's own answer first, the registry (an outlet with an MN) second
        coalesce(l.auto_monitoring, mo.has_mn, false) as has_auto_monitoring,
        coalesce(l.monitoring_networked, mo.mn_networked, false) as is_networked
    from {{ ref('int_inventory__units') }} as u
    inner join ledger as l on l.enterprise_id = u.enterprise_id and l.unit_id = u.unit_id
    left join monitored_outlets as mo on mo.enterprise_id = u.enterprise_id and mo.unit_id = u.unit_id
    where u.source_kind = 'boiler' and coalesce(u.status, 'in_use') <> 'retired'
),

hits as (
    select b.*, r.rule_id from boilers as b
    inner join rules as r on r.rule_id = 'T21-BIOMASS-SMALL'
    where b.fuel_item = 'biomass' and b.capacity_t_h < r.threshold_num

    union all
    select b.*, r.rule_id from boilers as b
    inner join rules as r on r.rule_id = 'T21-BIOMASS-COFIRING'
    where b.fuel_item = 'biomass' and coalesce(b.co_firing, 'none') <> 'none'

    union all
    select b.*, r.rule_id from boilers as b
    inner join rules as r on r.rule_id = 'T21-BIOMASS-DEDICATED'
    where b.fuel_item = 'biomass' and b.dedicated_burner = false

    union all
    select b.*, r.rule_id from boilers as b
    inner join rules as r on r.rule_id = 'T21-GAS-LOW-NOX'
    where b.fuel_item = 'natural_gas' and b.low_nox_burner = false

    union all
    select b.*, r.rule_id from boilers as b
    inner join rules as r on r.rule_id = 'T21-GAS-FGR-MANUAL'
    where b.fuel_item = 'natural_gas' and b.fgr_valve = 'manual'

    union all
    select b.*, r.rule_id from boilers as b
    inner join rules as r on r.rule_id = 'T21-AUTOMON-COAL'
    where b.fuel_item = 'coal' and not (b.has_auto_monitoring and b.is_networked)

    union all
    select b.*, r.rule_id from boilers as b
    inner join rules as r on r.rule_id = 'T21-AUTOMON-GAS'
    where b.fuel_item = 'natural_gas' and b.capacity_t_h >= r.threshold_num
        and not (b.has_auto_monitoring and b.is_networked)

    union all
    select b.*, r.rule_id from boilers as b
    inner join rules as r on r.rule_id = 'T21-AUTOMON-BIOMASS'
    where b.fuel_item = 'biomass' and b.capacity_t_h >= r.threshold_num
        and not (b.has_auto_monitoring and b.is_networked)
)

select
    {{ inventory_rule_columns('r') }},
    h.enterprise_id,
    e.name as enterprise_name,
    e.township,
    h.unit_id,
    h.fuel,
    h.capacity_t_h,
    h.status,
    h.low_nox_burner,
    h.fgr_valve,
    h.co_firing,
    h.has_auto_monitoring,
    h.is_networked,
    r.effective_from as basis_date,
    {{ inventory_as_of_date() }} as as_of_date,
    concat_ws('; ',
        'fuel=' || coalesce(h.fuel, '?'),
        'capacity_t_h=' || coalesce(cast(h.capacity_t_h as string), '?'),
        case when r.threshold_num is not null then 'threshold=' || cast(r.threshold_num as string) || ' ' || r.threshold_unit end,
        'low_nox_burner=' || coalesce(cast(h.low_nox_burner as string), '?'),
        'fgr_valve=' || coalesce(h.fgr_valve, '?'),
        'co_firing=' || coalesce(h.co_firing, '?'),
        'dedicated_burner=' || coalesce(cast(h.dedicated_burner as string), '?'),
        'auto_monitoring=' || cast(h.has_auto_monitoring as string),
        'networked=' || cast(h.is_networked as string)
    ) as evidence
from hits as h
inner join rules as r on r.rule_id = h.rule_id
left join {{ ref('stg_registry__enterprises') }} as e on e.enterprise_id = h.enterprise_id
