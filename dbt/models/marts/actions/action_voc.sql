-- marts.action_voc: VOC sources on plan tasks 24–29. Grain: VOC unit × rule_id (task 28 is per
-- enterprise × year: unit_id is null). Thresholds (1000 seal points, 12 months, 0.1 t/a) come from
-- the inventory_action_rules seed.
with rules as (
    select * from {{ ref('inventory_action_rules') }} where action_list = 'action_voc'
),

voc as (
    select
        enterprise_id, unit_id,
        {{ inventory_code('process') }} as process,
        material, low_voc_substituted, seal_points, ldar_done,
        {{ inventory_code('capture_type') }} as capture_type,
        {{ inventory_code('treatment_tech') }} as treatment_tech,
        cast(carbon_last_replaced as date) as carbon_last_replaced,
        carbon_interval_days,
        combustion_temp_records_months,
        {{ inventory_code('bypass') }} as bypass
    from {{ ref('stg_ledgers__voc_sources') }}
),

voc_devices as (
    select enterprise_id, unit_id, trim(unnest(string_split(treatment_tech, '+'))) as device
    from voc
    where treatment_tech is not null and treatment_tech <> 'none'
),

voc_paths as (
    -- task 26 targets treatment that relies on low-efficiency devices only ('water_spray+activated_carbon' is not)
    select
        d.enterprise_id, d.unit_id,
        bool_and(coalesce(c.is_inefficient, false)) as all_inefficient,
        string_agg(coalesce(c.label_zh, d.device), '+') as labels_zh,
        round(100 * (1 - product(1 - coalesce(c.efficiency_pct, 0) / 100.0)), 1) as credited_pct
    from voc_devices as d
    left join {{ ref('inventory_control_efficiencies') }} as c
        on c.tech_code = d.device and c.control_category = 'voc'
    group by d.enterprise_id, d.unit_id
),

unit_hits as (
    select v.*, r.rule_id, r.effective_from as basis_date,
        'low_voc_substituted=false; material=' || coalesce(v.material, '?') as finding
    from voc as v inner join rules as r on r.rule_id = 'T24-SUBSTITUTION-PENDING'
    where v.low_voc_substituted = false and v.process in ('coating', 'printing', 'adhesive', 'cleaning')

    union all
    select v.*, r.rule_id, r.effective_from,
        'seal_points=' || cast(v.seal_points as varchar) || ' >= ' || cast(r.threshold_num as varchar)
            || '; ldar_done=' || coalesce(cast(v.ldar_done as varchar), 'not reported')
    from voc as v inner join rules as r on r.rule_id = 'T25-LDAR'
    where v.seal_points >= r.threshold_num and coalesce(v.ldar_done, false) = false

    union all
    select v.*, r.rule_id,
        coalesce(v.carbon_last_replaced + cast(v.carbon_interval_days as integer), r.effective_from),
        case
            when v.carbon_last_replaced is null then 'no replacement date recorded'
            when v.carbon_interval_days is null then 'replacement interval not recorded; last='
                || cast(v.carbon_last_replaced as varchar)
            else 'last=' || cast(v.carbon_last_replaced as varchar) || '; interval_days='
                || cast(v.carbon_interval_days as varchar) || '; due='
                || cast(v.carbon_last_replaced + cast(v.carbon_interval_days as integer) as varchar)
        end
    from voc as v inner join rules as r on r.rule_id = 'T26-CARBON-OVERDUE'
    where v.treatment_tech = 'activated_carbon'
        and (
            v.carbon_last_replaced is null
            or v.carbon_interval_days is null
            or v.carbon_last_replaced + cast(v.carbon_interval_days as integer) < {{ inventory_as_of_date() }}
        )

    union all
    select v.*, r.rule_id, r.effective_from,
        'temperature_records_months=' || coalesce(cast(v.combustion_temp_records_months as varchar), 'not reported')
            || ' < ' || cast(r.threshold_num as varchar)
    from voc as v inner join rules as r on r.rule_id = 'T26-TEMP-RECORDS'
    where v.treatment_tech in ('rto', 'rco') and coalesce(v.combustion_temp_records_months, 0) < r.threshold_num

    union all
    select v.*, r.rule_id, r.effective_to,
        'treatment=' || v.treatment_tech || ' (' || vp.labels_zh || '; only low-efficiency devices, credited removal '
            || cast(vp.credited_pct as varchar) || '%)'
    from voc as v
    inner join voc_paths as vp on vp.enterprise_id = v.enterprise_id and vp.unit_id = v.unit_id
    inner join rules as r on r.rule_id = 'T26-INEFFICIENT-TECH'
    where vp.all_inefficient

    union all
    select v.*, r.rule_id, r.effective_from, 'bypass=' || v.bypass
    from voc as v inner join rules as r on r.rule_id = 'T27-BYPASS'
    where v.bypass in ('open', 'emergency_unsealed')
),

enterprise_voc as (
    select enterprise_id, year, sum(emissions_t) as voc_t, max(period_month) as last_month
    from {{ ref('emissions') }}
    where pollutant = 'voc'
    group by enterprise_id, year
),

park_hits as (
    select
        ev.enterprise_id, r.rule_id,
        last_day(ev.last_month) as basis_date,
        'year=' || cast(ev.year as varchar) || '; voc_t=' || cast(round(ev.voc_t, 4) as varchar)
            || ' > ' || cast(r.threshold_num as varchar) || ' t/a; in_park='
            || coalesce(cast(e.in_park as varchar), 'not reported')
            || '; newness not in the ledgers: check the EIA date' as finding
    from enterprise_voc as ev
    inner join {{ ref('stg_registry__enterprises') }} as e on e.enterprise_id = ev.enterprise_id
    inner join rules as r on r.rule_id = 'T28-NEW-VOC-OUTSIDE-PARK'
    where ev.voc_t > r.threshold_num and coalesce(e.in_park, false) = false
),

hits as (
    select enterprise_id, unit_id, process, treatment_tech, rule_id, basis_date, finding from unit_hits
    union all
    select enterprise_id, null, null, null, rule_id, basis_date, finding from park_hits
)

select
    {{ inventory_rule_columns('r') }},
    h.enterprise_id,
    e.name as enterprise_name,
    e.township,
    h.unit_id,
    h.process,
    h.treatment_tech,
    h.basis_date,
    {{ inventory_as_of_date() }} as as_of_date,
    h.finding as evidence
from hits as h
inner join rules as r on r.rule_id = h.rule_id
left join {{ ref('stg_registry__enterprises') }} as e on e.enterprise_id = h.enterprise_id
