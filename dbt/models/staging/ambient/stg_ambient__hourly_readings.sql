{#- Hourly station data, one row per station × pollutant × hour. The platform stamps an hour
    by its END (01:00 = 00:00-01:00): hour_start is one hour earlier and names the day. -#}
with source as (
    select * from {{ source('raw', 'ambient_hourly') }}
),

renamed as (
    {%- for p in ['so2', 'no2', 'co', 'o3', 'pm10', 'pm25'] %}
    select
        -- ids
        trim(station_code) as station_code,
        '{{ p }}' as pollutant,
        -- timestamps (local Beijing time)
        time_point - interval 1 hour as hour_start,
        time_point as hour_end,
        cast(time_point - interval 1 hour as date) as day,
        -- measurements (µg/m³; CO mg/m³)
        {{ p }} as value,
        nullif(trim({{ p }}_flag), '') as flag,
        -- lineage
        source_file,
        line_no
    from source
    where {{ p }} is not null or nullif(trim({{ p }}_flag), '') is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from renamed
