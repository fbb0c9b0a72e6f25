-- marts.action_performance_grades: plan tasks 31–32 per graded enterprise. Grain: enterprise ×
-- rule_id × alert_level (alert_level is null except for T31-ALERT-CUT).
--   T31-SUBSIDY-A / -B: subsidy amount (threshold_num, yuan) for A / B grades
--   T31-D-PRODUCTION-CONTROL: D grade under production control from effective_from (2023-11-15)
--   T32-STAGGERED-PRODUCTION: industries in scope_key_industry, effective_from → effective_to
--   T31-ALERT-CUT: expected daily cut per alert level = grade ratio (inventory_alert_reduction_ratios)
--     × baseline; baseline = min(EIA capacity, permit capacity, prior-year output) / days per year
with rules as (
    select * from {{ ref('inventory_action_rules') }} where action_list = 'action_performance_grades'
),

enterprises as (
    select
        enterprise_id, name, township,
        {{ inventory_code('key_industry') }} as key_industry,
        upper(nullif(trim(performance_grade), '')) as performance_grade,
        eia_capacity, permit_capacity, prior_year_output, capacity_unit,
        least(eia_capacity, permit_capacity, prior_year_output) as baseline_annual
    from {{ ref('stg_registry__enterprises') }}
),

hits as (
    select e.*, r.rule_id, cast(null as varchar) as alert_level, cast(null as double) as reduction_ratio,
        r.threshold_num as subsidy_yuan
    from enterprises as e inner join rules as r on r.rule_id = 'T31-SUBSIDY-A'
    where e.performance_grade = 'A'

    union all
    select e.*, r.rule_id, null, null, r.threshold_num
    from enterprises as e inner join rules as r on r.rule_id = 'T31-SUBSIDY-B'
    where e.performance_grade = 'B'

    union all
    select e.*, r.rule_id, null, null, null
    from enterprises as e inner join rules as r on r.rule_id = 'T31-D-PRODUCTION-CONTROL'
    where e.performance_grade = 'D'

    union all
    select e.*, r.rule_id, null, null, null
    from enterprises as e inner join rules as r on r.rule_id = 'T32-STAGGERED-PRODUCTION'
    where list_contains(string_split(r.scope_key_industry, '|'), e.key_industry)

    union all
    select e.*, r.rule_id, a.alert_level, a.reduction_ratio, null
    from enterprises as e
    inner join {{ ref('inventory_alert_reduction_ratios') }} as a on a.performance_grade = e.performance_grade
    inner join rules as r on r.rule_id = 'T31-ALERT-CUT'
)

select
    {{ inventory_rule_columns('r') }},
    h.enterprise_id,
    h.name as enterprise_name,
    h.township,
    h.key_industry,
    h.performance_grade,
    h.alert_level,
    h.reduction_ratio,
    h.subsidy_yuan,
    h.eia_capacity,
    h.permit_capacity,
    h.prior_year_output,
    h.capacity_unit,
    h.baseline_annual,
    h.baseline_annual / {{ inventory_param('capacity_days_per_year') }} as baseline_daily,
    h.reduction_ratio * h.baseline_annual / {{ inventory_param('capacity_days_per_year') }} as expected_cut_daily,
    r.effective_from as period_start,
    r.effective_to as period_end,
    r.effective_from as basis_date,
    {{ inventory_as_of_date() }} as as_of_date,
    concat_ws('; ',
        'grade=' || coalesce(h.performance_grade, 'none'),
        'key_industry=' || coalesce(h.key_industry, '?'),
        case when h.alert_level is not null then
            'alert=' || h.alert_level || '; ratio=' || cast(h.reduction_ratio as varchar)
            || '; baseline=min(eia ' || coalesce(cast(h.eia_capacity as varchar), '?')
            || ', permit ' || coalesce(cast(h.permit_capacity as varchar), '?')
            || ', prior-year ' || coalesce(cast(h.prior_year_output as varchar), '?') || ') '
            || coalesce(h.capacity_unit, '') end,
        case when h.alert_level is not null and h.baseline_annual is null
            then 'baseline unknown: no capacity reported' end,
        case when r.rule_id like 'T31-SUBSIDY%' then
            'subsidy applies only to the 39 industries of the 2020 guide after provincial publicity' end
    ) as evidence
from hits as h
inner join rules as r on r.rule_id = h.rule_id
