{#- The platform's daily statistics, one row per station × day × statistic: the 24-h means,
    O3's daily maximum hour and daily maximum 8-h moving mean, with the counts behind them. -#}
{%- set stats = [
    ('so2', 'mean_24h', 'so2', 'so2_hours'),
    ('no2', 'mean_24h', 'no2', 'no2_hours'),
    ('co', 'mean_24h', 'co', 'co_hours'),
    ('pm10', 'mean_24h', 'pm10', 'pm10_hours'),
    ('pm25', 'mean_24h', 'pm25', 'pm25_hours'),
    ('o3', 'max_1h', 'o3_1h_max', 'o3_hours'),
    ('o3', 'max_8h', 'o3_8h_max', 'o3_8h_count'),
] -%}
with source as (
    select * from {{ source('raw', 'ambient_daily') }}
),

renamed as (
    {%- for pollutant, statistic, value, count in stats %}
    select
        -- ids
        trim(station_code) as station_code,
        '{{ pollutant }}' as pollutant,
        '{{ statistic }}' as statistic,
        {{ adapter.quote('date') }} as day,
        -- measurements (µg/m³; CO mg/m³) and the valid hours (8-h windows for max_8h) behind them
        {{ value }} as value,
        {{ count }} as valid_count,
        -- lineage
        source_file,
        line_no
    from source
    where {{ value }} is not null or {{ count }} is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from renamed
