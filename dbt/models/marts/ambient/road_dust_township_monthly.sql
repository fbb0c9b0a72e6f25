{#- Key-road particulate monitoring by township and month (重点道路颗粒物监控, plan task 13): the
    mean roadside PM10 of the township's key roads, its worst road, the mean dust load, and the
    monthly rank of the areas (1 = cleanest; equal means share a rank). -#}
with roads as (
    select * from {{ ref('stg_ambient__road_dust') }}
),

townships as (
    select
        township,
        period_month,
        {{ round_half_even("avg(pm10_ug_m3)", "0") }} as road_pm10_ug_m3,
        {{ round_exact("avg(dust_load_g_m2)", 2) }} as dust_load_g_m2,
        count(*) as roads,
        max_by(road_name, pm10_ug_m3) as worst_road,
        max(pm10_ug_m3) as worst_road_pm10_ug_m3
    from roads
    group by all
),

ranked as (
    select
        townships.*,
        rank() over (partition by period_month order by road_pm10_ug_m3) as rank,
        count(*) over (partition by period_month) as ranked_count
    from townships
)

select * from ranked
