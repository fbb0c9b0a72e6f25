{#- The dust-fall exceedance list (降尘超标乡镇清单, plan task 13): one row per township and
    month whose mean dust-fall exceeded the limit, with the points behind it. -#}
with monthly as (
    select * from {{ ref('dustfall_township_monthly') }}
),

exceeded as (
    select
        township,
        period_month,
        dustfall_t_km2_month,
        limit_t_km2_month,
        {{ round_exact("dustfall_t_km2_month - limit_t_km2_month", 2) }} as excess_t_km2_month,
        rank,
        ranked_count,
        exceeded_months_ytd,
        points,
        point_values,
        rule_zh
    from monthly
    where exceeds_limit
)

select * from exceeded
