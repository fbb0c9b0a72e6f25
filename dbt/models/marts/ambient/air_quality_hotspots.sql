{#- High-value hotspots (高值热点, plan task 33): a station-hour whose valid value is at least
    hotspot_min_ratio times the median of the valid values of the stations within
    hotspot_neighbour_km at the same hour (at least hotspot_min_neighbours of them) and exceeds
    that median by the pollutant's hotspot_min_excess. One row per station × pollutant × hour. -#}
with hours as (
    select * from {{ ref('int_ambient__hourly_valid') }}
),

stations as (
    select * from {{ ref('stg_ambient__stations') }}
),

pollutants as (
    select * from {{ ref('ambient_pollutants') }}
),

pairs as (
    -- great-circle distance (haversine, R = 6371 km) between every two stations
    select
        a.station_code,
        b.station_code as neighbour_code,
        2 * 6371 * asin(sqrt(
            pow(sin(radians(b.latitude - a.latitude) / 2), 2)
            + cos(radians(a.latitude)) * cos(radians(b.latitude))
              * pow(sin(radians(b.longitude - a.longitude) / 2), 2)
        )) as distance_km
    from stations as a
    inner join stations as b on a.station_code <> b.station_code
),

neighbours as (
    select * from pairs where distance_km <= {{ var('hotspot_neighbour_km') }}
),

compared as (
    select
        own.station_code,
        own.pollutant,
        own.hour_start,
        own.value,
        median(other.value) as neighbour_median,
        count(other.value) as neighbour_count,
        {{ ordered_string_agg("other.station_code || '=' || cast(other.value as string)", "', '", "other.station_code") }} as neighbour_values
    from hours as own
    inner join neighbours on neighbours.station_code = own.station_code
    inner join hours as other
        on other.station_code = neighbours.neighbour_code
        and other.pollutant = own.pollutant
        and other.hour_start = own.hour_start
        and other.is_valid
    where own.is_valid
    group by all
),

flagged as (
    select
        compared.station_code,
        stations.station_name,
        stations.station_type,
        stations.township,
        compared.pollutant,
        pollutants.label_zh as pollutant_zh,
        pollutants.unit,
        compared.hour_start,
        compared.hour_start + interval 1 hour as hour_end,
        compared.value,
        compared.neighbour_median,
        compared.neighbour_count,
        {{ round_exact("compared.value / nullif(compared.neighbour_median, 0)", 2) }} as ratio,
        compared.value - compared.neighbour_median as excess,
        compared.neighbour_values,
        '站点小时值≥周边' || '{{ var('hotspot_neighbour_km') }}' || 'km内站点同时段中位数的'
            || '{{ var('hotspot_min_ratio') }}' || '倍且高出' || cast(pollutants.hotspot_min_excess as string)
            || pollutants.unit || '(方案任务33 高值热点)' as rule_zh
    from compared
    inner join stations on stations.station_code = compared.station_code
    inner join pollutants on pollutants.pollutant = compared.pollutant
    where compared.neighbour_count >= {{ var('hotspot_min_neighbours') }}
      and compared.value >= {{ var('hotspot_min_ratio') }} * compared.neighbour_median
      and compared.value - compared.neighbour_median >= pollutants.hotspot_min_excess
)

select * from flagged
