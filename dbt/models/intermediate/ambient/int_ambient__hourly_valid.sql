{#- Hourly readings with their validity: a value, not negative, and no mark or a mark the
    platform counts as valid (reference.ambient_data_flags). -#}
with readings as (
    select * from {{ ref('stg_ambient__hourly_readings') }}
),

flags as (
    select * from {{ ref('ambient_data_flags') }}
),

validated as (
    select
        readings.station_code,
        readings.pollutant,
        readings.hour_start,
        readings.hour_end,
        readings.day,
        readings.value,
        readings.flag,
        coalesce(
            readings.value is not null
            and readings.value >= 0
            and (readings.flag is null or flags.is_valid),
            false
        ) as is_valid,
        readings.source_file,
        readings.line_no
    from readings
    left join flags on flags.flag = readings.flag
)

select * from validated
