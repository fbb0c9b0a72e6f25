-- marts.action_performance_grades: plan tasks 31–32 per graded enterprise. Grain: enterprise ×
-- rule_id × alert_level (alert_level is null except for T31-ALERT-CUT).
--   T31-SUBSIDY-A / -B: subsidy amount (threshold_num, yuan) for A / B grades, only in the key
--     industries of the 2020 emergency-reduction guide (seed action_guide_industries)
--   T31-D-PRODUCTION-CONTROL: D grade under production control from effective_from (2023-11-15)
--   T32-STAGGERED-PRODUCTION: 水泥熟料 and 砖瓦, effective_from → effective_to: enterprises of the
--     rule's scope_key_industry (bricks) or producing one of its scope_product items (clinker, brick:
--     kiln ledger or activity products); a cement grinding station makes no clinker and is out
--   T31-ALERT-CUT: expected daily cut per alert level = grade ratio (inventory_alert_reduction_ratios)
--     × baseline; baseline = min(EIA capacity, permit capacity, prior-year output) / days per year
with rules as (
    select * from {{ ref('inventory_action_rules') }} where action_list = 'action_performance_grades'
),

registry as (
    select
        enterprise_id, name, township,
        {{ inventory_code('key_industry') }} as key_industry,
        trim(industry_code) as industry_code,
        upper(nullif(trim(performance_grade), '')) as performance_grade,
        eia_capacity, permit_capacity, prior_year_output, capacity_unit,
        least(eia_capacity, permit_capacity, prior_year_output) as baseline_annual
    from {{ ref('stg_registry__enterprises') }}
),

guide_industries as (
    -- the first guide industry an enterprise falls in (key industry, then GB/T 4754 class prefix)
    select
        r.enterprise_id,
        g.industry_zh as guide_industry
    from registry as r
    inner join {{ ref('action_guide_industries') }} as g
        on g.key_industry = r.key_industry
        and (nullif(trim(g.industry_code_prefixes), '') is null
             or {{ regex_matches("coalesce(r.industry_code, '')", "'^(' || trim(g.industry_code_prefixes) || ')'") }})
    qualify row_number() over (partition by r.enterprise_id order by g.guide_no) = 1
),

products as (
    -- what an enterprise produces, as canonical items: kiln ledger products and activity products
    select k.enterprise_id, i.activity_item, 'kiln ' || k.unit_id || ' ' || k.product as seen_in
    from {{ ref('stg_ledgers__kilns') }} as k
    inner join {{ ref('inventory_activity_items') }} as i on lower(trim(i.raw_item)) = lower(trim(k.product))
    union
    select a.enterprise_id, i.activity_item, 'activity ' || a.item
    from {{ ref('stg_activity__monthly_activities') }} as a
    inner join {{ ref('inventory_activity_items') }} as i on lower(trim(i.raw_item)) = lower(trim(a.item))
    where a.category = 'product'
),

enterprises as (
    select r.*, gi.guide_industry
    from registry as r
    left join guide_industries as gi on gi.enterprise_id = r.enterprise_id
),

hits as (
    select e.*, r.rule_id, cast(null as string) as alert_level, cast(null as double) as reduction_ratio,
        r.threshold_num as subsidy_yuan
    from enterprises as e inner join rules as r on r.rule_id = 'T31-SUBSIDY-A'
    where e.performance_grade = 'A' and e.guide_industry is not null

    union all
    select e.*, r.rule_id, null, null, r.threshold_num
    from enterprises as e inner join rules as r on r.rule_id = 'T31-SUBSIDY-B'
    where e.performance_grade = 'B' and e.guide_industry is not null

    union all
    select e.*, r.rule_id, null, null, null
    from enterprises as e inner join rules as r on r.rule_id = 'T31-D-PRODUCTION-CONTROL'
    where e.performance_grade = 'D'

    union all
    select e.*, r.rule_id, null, null, null
    from enterprises as e inner join rules as r on r.rule_id = 'T32-STAGGERED-PRODUCTION'
    where {{ list_has(split_text("coalesce(r.scope_key_industry, '')", "|"), "e.key_industry") }}
        or exists (
            select 1 from products as p
            where p.enterprise_id = e.enterprise_id
                and {{ list_has(split_text("coalesce(r.scope_product, '')", "|"), "p.activity_item") }}
        )

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
    h.guide_industry,
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
            'alert=' || h.alert_level || '; ratio=' || cast(h.reduction_ratio as string)
            || '; baseline=min(eia ' || coalesce(cast(h.eia_capacity as string), '?')
            || ', permit ' || coalesce(cast(h.permit_capacity as string), '?')
            || ', prior-year ' || coalesce(cast(h.prior_year_output as string), '?') || ') '
            || coalesce(h.capacity_unit, '') end,
        case when h.alert_level is not null and h.baseline_annual is null
            then 'baseline unknown: no capacity reported' end,
        case when r.rule_id like 'T31-SUBSIDY%' then
            'guide_industry=' || h.guide_industry || ' (2020 guide; the grade must have passed provincial publicity)' end,
        case when r.rule_id = 'T32-STAGGERED-PRODUCTION' then
            'produces=' || coalesce((
                select {{ ordered_string_agg("p.activity_item || ' (' || p.seen_in || ')'", "', '", "p.activity_item || ' (' || p.seen_in || ')'", distinct=true) }}
                from products as p
                where p.enterprise_id = h.enterprise_id
                    and {{ list_has(split_text("coalesce(r.scope_product, '')", "|"), "p.activity_item") }}
            ), 'none recorded') end
    ) as evidence
from hits as h
inner join rules as r on r.rule_id = h.rule_id
