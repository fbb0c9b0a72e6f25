{#- Daily air quality per station (环境空气质量日报): the seven daily statistics, their
    sub-indexes, the AQI (HJ 633-2012: the largest sub-index), the primary pollutant(s) when
    AQI > 50, the pollutants over their level-2 limit (IAQI > 100), level and category.
    A day gets an AQI only when all six pollutants are valid (SO2, NO2, CO, PM10, PM2.5 24-h
    means and the O3 daily maximum 8-h mean; the 8-h mean may be absent above 800 µg/m³ when
    the 1-h maximum stands for it). -#}
{%- set stats = [
    ('so2', 'mean_24h', 'so2_24h', 'SO2'),
    ('no2', 'mean_24h', 'no2_24h', 'NO2'),
    ('co', 'mean_24h', 'co_24h', 'CO'),
    ('pm10', 'mean_24h', 'pm10_24h', 'PM10'),
    ('pm25', 'mean_24h', 'pm25_24h', 'PM2.5'),
    ('o3', 'max_1h', 'o3_1h_max', 'O3_1h'),
    ('o3', 'max_8h', 'o3_8h_max', 'O3_8h'),
] -%}
with daily_iaqi as (
    select * from {{ ref('int_ambient__daily_iaqi') }}
),

stations as (
    select * from {{ ref('stg_ambient__stations') }}
),

categories as (
    select * from {{ ref('ambient_aqi_categories') }}
),

labelled as (
    select
        daily_iaqi.*,
        case daily_iaqi.pollutant || ':' || daily_iaqi.statistic
            {%- for p, s, col, label in stats %}
            when '{{ p }}:{{ s }}' then '{{ label }}'
            {%- endfor %}
        end as label
    from daily_iaqi
),

pivoted as (
    select
        station_code,
        day,
        {%- for p, s, col, label in stats %}
        max(value) filter (where pollutant = '{{ p }}' and statistic = '{{ s }}' and is_valid) as {{ col }},
        max(iaqi) filter (where pollutant = '{{ p }}' and statistic = '{{ s }}') as iaqi_{{ col }},
        {%- endfor %}
        max(basis) as basis
    from labelled
    group by all
),

complete as (
    select
        pivoted.*,
        so2_24h is not null and no2_24h is not null and co_24h is not null
            and pm10_24h is not null and pm25_24h is not null and o3_1h_max is not null
            and (o3_8h_max is not null or iaqi_o3_1h_max is not null and o3_1h_max > 800)
            as is_complete,
        nullif(concat_ws(',',
            {%- for p, s, col, label in stats %}
            case when {{ col }} is null then '{{ label }}' end{{ ',' if not loop.last }}
            {%- endfor %}
        ), '') as missing_statistics
    from pivoted
),

with_aqi as (
    select
        complete.*,
        case when is_complete then greatest(
            {%- for p, s, col, label in stats %}
            coalesce(iaqi_{{ col }}, 0){{ ',' if not loop.last }}
            {%- endfor %}
        ) end as aqi
    from complete
),

named as (
    select
        with_aqi.*,
        case when aqi > 50 then concat_ws(',',
            {%- for p, s, col, label in stats %}
            case when iaqi_{{ col }} = aqi then '{{ label }}' end{{ ',' if not loop.last }}
            {%- endfor %}
        ) end as primary_pollutants,
        case when aqi is not null then nullif(concat_ws(',',
            {%- for p, s, col, label in stats %}
            case when iaqi_{{ col }} > 100 then '{{ label }}' end{{ ',' if not loop.last }}
            {%- endfor %}
        ), '') end as exceeding_pollutants
    from with_aqi
),

final as (
    select
        named.station_code,
        stations.station_name,
        stations.station_type,
        stations.township,
        named.day,
        {%- for p, s, col, label in stats %}
        named.{{ col }},
        {%- endfor %}
        {%- for p, s, col, label in stats %}
        named.iaqi_{{ col }},
        {%- endfor %}
        named.aqi,
        named.primary_pollutants,
        named.exceeding_pollutants,
        categories.level as aqi_level,
        categories.category_zh as aqi_category_zh,
        coalesce(categories.is_good, false) and named.aqi is not null as is_good,
        named.is_complete,
        named.missing_statistics,
        named.basis
    from named
    inner join stations on stations.station_code = named.station_code
    left join categories on named.aqi between categories.aqi_lo and categories.aqi_hi
)

select * from final
