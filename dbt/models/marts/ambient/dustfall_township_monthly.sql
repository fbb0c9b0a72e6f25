{#- Township dust-fall by month (乡镇降尘量月排名, plan task 13): the mean of the township's
    sampling points in t/(km²·month), whether it exceeds dustfall_limit_t_km2_month, the
    monthly rank (1 = least dust; equal means, to 2 decimals, share a rank) and the months
    exceeded so far in the year. -#}
with points as (
    select * from {{ ref('stg_ambient__dustfall') }}
),

townships as (
    select
        township,
        period_month,
        {{ round_exact("avg(dustfall_t_km2_month)", 2) }} as dustfall_t_km2_month,
        count(*) as points,
        min(dustfall_t_km2_month) as point_min_t_km2_month,
        max(dustfall_t_km2_month) as point_max_t_km2_month,
        {{ ordered_string_agg("point_code || '=' || cast(dustfall_t_km2_month as string)", "', '", "point_code") }} as point_values
    from points
    group by all
),

ranked as (
    select
        townships.*,
        {{ var('dustfall_limit_t_km2_month') }} as limit_t_km2_month,
        townships.dustfall_t_km2_month > {{ var('dustfall_limit_t_km2_month') }} as exceeds_limit,
        rank() over (partition by period_month order by dustfall_t_km2_month) as rank,
        count(*) over (partition by period_month) as ranked_count
    from townships
),

final as (
    select
        ranked.*,
        count(*) filter (where exceeds_limit) over (
            partition by township, year(period_month) order by period_month
        ) as exceeded_months_ytd,
        '各乡镇平均降尘量不得高于' || cast(limit_t_km2_month as string)
            || '吨/(月·平方公里)，逐月排名(方案任务13)；乡镇值为各降尘点算术平均' as rule_zh
    from ranked
)

select * from final
