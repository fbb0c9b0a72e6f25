{#- Per township and month: the inventory's emissions beside the township's air quality,
    dust-fall and road dust, so an officer sees where the air is worst and who emits there.
    Emissions are marts.emissions summed over the township's enterprises (registry township). -#}
with emissions as (
    select * from {{ ref('emissions') }}
),

enterprises as (
    select * from {{ ref('stg_registry__enterprises') }}
),

air as (
    select * from {{ ref('air_quality_monthly') }}
),

rankings as (
    select * from {{ ref('air_quality_rankings') }}
),

dustfall as (
    select * from {{ ref('dustfall_township_monthly') }}
),

road_dust as (
    select * from {{ ref('road_dust_township_monthly') }}
),

township_emissions as (
    select
        enterprises.township,
        emissions.period_month,
        sum(emissions.emissions_t) filter (where emissions.pollutant = 'so2') as so2_t,
        sum(emissions.emissions_t) filter (where emissions.pollutant = 'nox') as nox_t,
        sum(emissions.emissions_t) filter (where emissions.pollutant = 'pm') as pm_t,
        sum(emissions.emissions_t) filter (where emissions.pollutant = 'voc') as voc_t,
        sum(emissions.emissions_t) filter (where emissions.pollutant = 'nh3') as nh3_t,
        count(distinct emissions.enterprise_id) as emitting_enterprises
    from emissions
    inner join enterprises on enterprises.enterprise_id = emissions.enterprise_id
    group by all
),

township_air as (
    select * from air where period_type = 'month' and station_type = 'township'
),

composite_rank as (
    select entity_code as township, period_month, rank, ranked_count
    from rankings
    where scope = 'township' and period_type = 'month' and metric = 'composite_index'
),

pm25_rank as (
    select entity_code as township, period_month, rank, ranked_count
    from rankings
    where scope = 'township' and period_type = 'month' and metric = 'pm25'
),

months as (
    select township, period_month from township_air
    union
    select township, period_month from township_emissions
    union
    select township, period_month from dustfall
),

final as (
    select
        months.township,
        months.period_month,
        township_air.station_code,
        township_air.composite_index,
        composite_rank.rank as composite_rank,
        composite_rank.ranked_count as composite_ranked_count,
        township_air.pm25,
        pm25_rank.rank as pm25_rank,
        township_air.pm10,
        township_air.so2,
        township_air.no2,
        township_air.good_day_share,
        dustfall.dustfall_t_km2_month,
        dustfall.exceeds_limit as dustfall_exceeds_limit,
        dustfall.rank as dustfall_rank,
        road_dust.road_pm10_ug_m3,
        road_dust.rank as road_dust_rank,
        {{ round_exact("coalesce(township_emissions.so2_t, 0)", 4, decimal=true) }} as so2_t,
        {{ round_exact("coalesce(township_emissions.nox_t, 0)", 4, decimal=true) }} as nox_t,
        {{ round_exact("coalesce(township_emissions.pm_t, 0)", 4, decimal=true) }} as pm_t,
        {{ round_exact("coalesce(township_emissions.voc_t, 0)", 4, decimal=true) }} as voc_t,
        {{ round_exact("coalesce(township_emissions.nh3_t, 0)", 4, decimal=true) }} as nh3_t,
        coalesce(township_emissions.emitting_enterprises, 0) as emitting_enterprises
    from months
    left join township_air
        on township_air.township = months.township and township_air.period_month = months.period_month
    left join composite_rank
        on composite_rank.township = months.township and composite_rank.period_month = months.period_month
    left join pm25_rank
        on pm25_rank.township = months.township and pm25_rank.period_month = months.period_month
    left join dustfall
        on dustfall.township = months.township and dustfall.period_month = months.period_month
    left join road_dust
        on road_dust.township = months.township and road_dust.period_month = months.period_month
    left join township_emissions
        on township_emissions.township = months.township
        and township_emissions.period_month = months.period_month
)

select * from final
