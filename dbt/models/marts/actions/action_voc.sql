-- marts.action_voc: VOC sources on plan tasks 24–28. Grain: VOC unit × rule_id (task 28 rows are
-- per enterprise × year: unit_id is null). Thresholds (1000 seal points, 12 months, 0.1 t/a) come
-- from the inventory_action_rules seed. Task 24 judges what a unit buys (int_actions__substitution_status);
-- task 28 lists new enterprises only, existing ones under a separate informational rule.
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
    select
        enterprise_id, unit_id,
        {{ unnest_with_position(trim_elements(split_text("treatment_tech", "+")), "device", "position") }}
    from voc
    where treatment_tech is not null and treatment_tech <> 'none'
),

voc_path_products as (
    -- task 26 targets treatment that relies on low-efficiency devices only ('water_spray+activated_carbon' is not)
    select
        d.enterprise_id, d.unit_id,
        bool_and(coalesce(c.is_inefficient, false)) as all_inefficient,
        {{ ordered_string_agg("coalesce(c.label_zh, d.device)", "'+'", "d.position") }} as labels_zh,
        100 * (1 - {{ product_of("1 - coalesce(c.efficiency_pct, 0) / 100.0") }}) as credited_raw_pct
    from voc_devices as d
    left join {{ ref('inventory_control_efficiencies') }} as c
        on c.tech_code = d.device and c.control_category = 'voc'
    group by d.enterprise_id, d.unit_id
),

-- rounded apart from the product: Spark's product is a lambda, which its SQL functions may not wrap
voc_paths as (
    select enterprise_id, unit_id, all_inefficient, labels_zh,
        {{ round_exact("credited_raw_pct", 1) }} as credited_pct
    from voc_path_products
),

unit_hits as (
    select
        s.enterprise_id, s.unit_id, s.process, s.treatment_tech, r.rule_id,
        case when s.latest_month is null then r.effective_from else last_day(s.latest_month) end as basis_date,
        s.finding
    from {{ ref('int_actions__substitution_status') }} as s
    inner join rules as r
        on r.rule_id = case s.status
            when 'solvent_type' then 'T24-SUBSTITUTION-PENDING'
            when 'content_check' then 'T24-LOW-VOC-CONTENT-CHECK'
        end

    union all
    select v.enterprise_id, v.unit_id, v.process, v.treatment_tech, r.rule_id, r.effective_from,
        'seal_points=' || cast(v.seal_points as string) || ' >= ' || cast(r.threshold_num as string)
            || '; ldar_done=' || coalesce(cast(v.ldar_done as string), 'not reported')
    from voc as v inner join rules as r on r.rule_id = 'T25-LDAR'
    where v.seal_points >= r.threshold_num and coalesce(v.ldar_done, false) = false

    union all
    select v.enterprise_id, v.unit_id, v.process, v.treatment_tech, r.rule_id,
        coalesce(v.carbon_last_replaced + cast(v.carbon_interval_days as integer), r.effective_from),
        case
            when v.carbon_last_replaced is null then 'no replacement date recorded'
            when v.carbon_interval_days is null then 'replacement interval not recorded; last='
                || cast(v.carbon_last_replaced as string)
            else 'last=' || cast(v.carbon_last_replaced as string) || '; interval_days='
                || cast(v.carbon_interval_days as string) || '; due='
                || cast(v.carbon_last_replaced + cast(v.carbon_interval_days as integer) as string)
        end
    from voc as v inner join rules as r on r.rule_id = 'T26-CARBON-OVERDUE'
    where v.treatment_tech = 'activated_carbon'
        and (
            v.carbon_last_replaced is null
            or v.carbon_interval_days is null
            or v.carbon_last_replaced + cast(v.carbon_interval_days as integer) < {{ inventory_as_of_date() }}
        )

    union all
    select v.enterprise_id, v.unit_id, v.process, v.treatment_tech, r.rule_id, r.effective_from,
        'temperature_records_months=' || coalesce(cast(v.combustion_temp_records_months as string), 'not reported')
            || ' < ' || cast(r.threshold_num as string)
    from voc as v inner join rules as r on r.rule_id = 'T26-TEMP-RECORDS'
    where v.treatment_tech in ('rto', 'rco') and coalesce(v.combustion_temp_records_months, 0) < r.threshold_num

    union all
    select v.enterprise_id, v.unit_id, v.process, v.treatment_tech, r.rule_id, r.effective_to,
        'treatment=' || v.treatment_tech || ' (' || vp.labels_zh || '; only low-efficiency devices, credited removal '
            || cast(vp.credited_pct as string) || '%)'
    from voc as v
    inner join voc_paths as vp on vp.enterprise_id = v.enterprise_id and vp.unit_id = v.unit_id
    inner join rules as r on r.rule_id = 'T26-INEFFICIENT-TECH'
    where vp.all_inefficient

    union all
    select v.enterprise_id, v.unit_id, v.process, v.treatment_tech, r.rule_id, r.effective_from,
        'bypass=' || v.bypass
    from voc as v inner join rules as r on r.rule_id = 'T27-BYPASS'
    where v.bypass in ('open', 'emergency_unsealed')
),

enterprise_voc as (
    select enterprise_id, year, sum(emissions_t) as voc_t, max(period_month) as last_month
    from {{ ref('emissions') }}
    where pollutant = 'voc'
    group by enterprise_id, year
),

first_activity as (
    -- newness (task 28 binds new enterprises): the first month an enterprise reports activity,
    -- against the first month the activity ledger holds for anyone
    select
        enterprise_id,
        min(period) as first_month,
        min(min(period)) over () as ledger_first_month
    from {{ ref('stg_activity__monthly_activities') }}
    group by enterprise_id
),

operating as (
    -- months the enterprise could operate in the year: from its first activity month when it
    -- started in that year (a new enterprise's part year is annualised), else all twelve
    select
        ev.*,
        case when year(fa.first_month) = ev.year then 13 - month(fa.first_month) else 12 end as months
    from enterprise_voc as ev
    left join first_activity as fa on fa.enterprise_id = ev.enterprise_id
),

park_candidates as (
    select
        ev.*,
        {{ round_exact("ev.voc_t * 12.0 / ev.months", 9) }} as voc_t_annualised,
        fa.first_month,
        fa.ledger_first_month,
        coalesce(fa.first_month > fa.ledger_first_month, false) as started_within_ledger,
        e.in_park
    from operating as ev
    inner join {{ ref('stg_registry__enterprises') }} as e on e.enterprise_id = ev.enterprise_id
    left join first_activity as fa on fa.enterprise_id = ev.enterprise_id
    where not coalesce(e.in_park, false)
),

park_hits as (
    select
        pc.enterprise_id, r.rule_id,
        case when r.rule_id = 'T28-NEW-VOC-OUTSIDE-PARK' then pc.first_month
            else last_day(pc.last_month) end as basis_date,
        concat_ws('; ',
            'year=' || cast(pc.year as string),
            'voc_t=' || cast({{ round_exact("pc.voc_t", 4) }} as string) || ' in ' || cast(pc.months as string)
                || ' months (annualised ' || cast({{ round_exact("pc.voc_t_annualised", 4) }} as string) || ') > '
                || cast(r.threshold_num as string) || ' t/a',
            'in_park=' || coalesce(cast(pc.in_park as string), 'not reported'),
            case when r.rule_id = 'T28-NEW-VOC-OUTSIDE-PARK'
                then 'new: first activity ' || {{ format_time("pc.first_month", "%Y-%m") }} || ', after the activity ledger starts ('
                    || {{ format_time("pc.ledger_first_month", "%Y-%m") }} || ') and on/after the plan ('
                    || cast(r.effective_from as string) || '): confirm the commissioning date'
                else 'existing: first activity ' || coalesce({{ format_time("pc.first_month", "%Y-%m") }}, 'none')
                    || ' (activity ledger from ' || coalesce({{ format_time("pc.ledger_first_month", "%Y-%m") }}, '?')
                    || '): not shown to be new; task 28 binds new enterprises' end
        ) as finding
    from park_candidates as pc
    inner join rules as r
        on (r.rule_id = 'T28-NEW-VOC-OUTSIDE-PARK' and pc.started_within_ledger
                and pc.first_month >= r.effective_from)
        or (r.rule_id = 'T28-INFO-EXISTING-OUTSIDE-PARK'
                and not (pc.started_within_ledger and pc.first_month >= r.effective_from))
    where pc.voc_t_annualised > r.threshold_num
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
