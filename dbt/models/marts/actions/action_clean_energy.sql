-- marts.action_clean_energy: clean-energy substitution (清洁能源替代) of plan tasks 5 and 15.
-- Grain: unit (enterprise × unit_id) × rule_id.
--   T5-GAS-GENERATOR-SUBSTITUTION  every fuel gas generator in use (kiln ledger kiln_type
--       gas_generator): to clean energy or a park/cluster's central gas or heat supply; the evidence
--       names its fuel and the furnace that burns its gas (int_inventory__units.feeds_unit_id)
--   T15-HERB-DRYING-CLEAN-ENERGY   in the rule's key industries (herb_drying): dryers and boilers that
--       burned a fuel the action_clean_fuels seed does not call clean in the 12 months up to the
--       as-of date (activity ledger); an enterprise reporting no fuel at all is judged on the
--       ledgers' fuel. Deadline: the rule's effective_to (end of 2023)
with rules as (
    select * from {{ ref('inventory_action_rules') }} where action_list = 'action_clean_energy'
),

clean_fuels as (
    select lower(trim(fuel)) as fuel, is_clean from {{ ref('action_clean_fuels') }}
),

units as (
    select
        enterprise_id, unit_id, source_kind, kiln_type, product, fuel as ledger_fuel_as_written,
        lower(coalesce(fuel_item, fuel)) as ledger_fuel, feeds_unit_id
    from {{ ref('int_inventory__units') }}
    where source_kind in ('boiler', 'kiln') and coalesce(status, 'in_use') <> 'retired'
),

fuel_use as (
    -- fuel burned per unit in the 12 months up to the as-of date, as canonical fuels
    select
        a.enterprise_id,
        a.unit_id,
        lower(coalesce(i.activity_item, trim(a.item))) as fuel,
        a.item,
        a.unit,
        sum(a.quantity) as quantity
    from {{ ref('stg_activity__monthly_activities') }} as a
    left join {{ ref('inventory_activity_items') }} as i on lower(trim(i.raw_item)) = lower(trim(a.item))
    where a.category = 'fuel'
        and a.period <= {{ inventory_as_of_date() }}
        and a.period > {{ inventory_as_of_date() }} - interval 12 month
    group by a.enterprise_id, a.unit_id, lower(coalesce(i.activity_item, trim(a.item))), a.item, a.unit
),

unit_fuels as (
    select
        f.enterprise_id, f.unit_id, f.fuel,
        f.item || ' ' || cast({{ round_exact("f.quantity", 1) }} as string) || ' ' || coalesce(f.unit, '') as used
    from fuel_use as f
    union all
    -- the ledgers' fuel where the enterprise reports no fuel use at all
    select u.enterprise_id, u.unit_id, u.ledger_fuel, 'ledger fuel ' || u.ledger_fuel_as_written
    from units as u
    where u.ledger_fuel is not null
        and not exists (select 1 from fuel_use as f where f.enterprise_id = u.enterprise_id)
),

unit_judged as (
    select
        uf.enterprise_id, uf.unit_id,
        {{ ordered_string_agg("uf.fuel", "', '", "uf.fuel", distinct=true, filter="not coalesce(c.is_clean, false)") }} as non_clean_fuels,
        {{ ordered_string_agg("uf.used || case when c.is_clean then '' when c.fuel is null then ' [not in action_clean_fuels]' else ' [not clean]' end", "'; '", "uf.used") }} as fuel_evidence
    from unit_fuels as uf
    left join clean_fuels as c on c.fuel = uf.fuel
    group by uf.enterprise_id, uf.unit_id
),

enterprises as (
    select enterprise_id, name, township, {{ inventory_code('key_industry') }} as key_industry, in_park
    from {{ ref('stg_registry__enterprises') }}
),

hits as (
    select u.*, r.rule_id, coalesce(j.non_clean_fuels, u.ledger_fuel) as fuels, j.fuel_evidence,
        'feeds=' || coalesce(fed.unit_id || ' ' || coalesce(fed.kiln_type, fed.source_kind)
            || coalesce(' ' || fed.product, ''), 'no unit records producer gas as its fuel') as detail
    from units as u
    inner join rules as r on r.rule_id = 'T5-GAS-GENERATOR-SUBSTITUTION'
    left join unit_judged as j on j.enterprise_id = u.enterprise_id and j.unit_id = u.unit_id
    left join units as fed on fed.enterprise_id = u.enterprise_id and fed.unit_id = u.feeds_unit_id
    where u.kiln_type = 'gas_generator'

    union all
    select u.*, r.rule_id, j.non_clean_fuels, j.fuel_evidence,
        'drying unit of ' || e.key_industry as detail
    from units as u
    inner join enterprises as e on e.enterprise_id = u.enterprise_id
    inner join rules as r on r.rule_id = 'T15-HERB-DRYING-CLEAN-ENERGY'
    inner join unit_judged as j on j.enterprise_id = u.enterprise_id and j.unit_id = u.unit_id
    where {{ list_has(split_text("coalesce(r.scope_key_industry, '')", "|"), "e.key_industry") }}
        and (u.source_kind = 'boiler' or u.kiln_type = 'dryer')
        and j.non_clean_fuels is not null
)

select
    {{ inventory_rule_columns('r') }},
    h.enterprise_id,
    e.name as enterprise_name,
    e.township,
    e.key_industry,
    h.unit_id,
    h.source_kind,
    h.kiln_type,
    h.product,
    h.fuels,
    r.effective_to as deadline,
    coalesce(r.effective_to < {{ inventory_as_of_date() }}, false) as is_overdue,
    r.effective_from as basis_date,
    {{ inventory_as_of_date() }} as as_of_date,
    concat_ws('; ',
        coalesce(h.kiln_type, h.source_kind) || coalesce(' (' || h.product || ')', ''),
        'fuel: ' || coalesce(h.fuel_evidence, 'ledger fuel ' || coalesce(h.ledger_fuel_as_written, 'not reported')),
        h.detail,
        'in_park=' || coalesce(cast(e.in_park as string), 'not reported'),
        case when r.effective_to is not null then 'deadline=' || cast(r.effective_to as string) end
    ) as evidence
from hits as h
inner join rules as r on r.rule_id = h.rule_id
left join enterprises as e on e.enterprise_id = h.enterprise_id
