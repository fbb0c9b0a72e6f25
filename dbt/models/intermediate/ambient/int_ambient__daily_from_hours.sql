{#- Daily statistics from the hourly data (HJ 663-2013): the 24-h mean of the valid hours with
    their count; for O3 the daily maximum hour and the daily maximum 8-h moving mean. An 8-h
    mean ending at hour e (8…24) averages hours e-8 … e-1 of the day (hour starts) and needs
    ambient_o3_8h_min_hours valid hours; valid_count of max_8h is the number of such means. -#}
with hours as (
    select * from {{ ref('int_ambient__hourly_valid') }}
),

valid_hours as (
    select station_code, pollutant, day, hour(hour_start) as hour_of_day, value
    from hours
    where is_valid
),

station_days as (
    select distinct station_code, pollutant, day from hours
),

day_means as (
    select
        station_days.station_code,
        station_days.pollutant,
        case when station_days.pollutant = 'o3' then 'max_1h' else 'mean_24h' end as statistic,
        station_days.day,
        case when station_days.pollutant = 'o3' then max(valid_hours.value)
             else avg(valid_hours.value) end as value,
        count(valid_hours.value) as valid_count
    from station_days
    left join valid_hours
        on valid_hours.station_code = station_days.station_code
        and valid_hours.pollutant = station_days.pollutant
        and valid_hours.day = station_days.day
    group by station_days.station_code, station_days.pollutant, station_days.day
),

o3_windows as (
    select
        station_days.station_code,
        station_days.day,
        window_end.e as window_end_hour,
        avg(valid_hours.value) as mean_8h,
        count(valid_hours.value) as hours_in_window
    from station_days
    cross join range(8, 25) as window_end(e)
    left join valid_hours
        on valid_hours.station_code = station_days.station_code
        and valid_hours.pollutant = 'o3'
        and valid_hours.day = station_days.day
        and valid_hours.hour_of_day between window_end.e - 8 and window_end.e - 1
    where station_days.pollutant = 'o3'
    group by all
),

o3_8h as (
    select
        station_code,
        'o3' as pollutant,
        'max_8h' as statistic,
        day,
        max(mean_8h) filter (where hours_in_window >= {{ var('ambient_o3_8h_min_hours') }}) as value,
        count(*) filter (where hours_in_window >= {{ var('ambient_o3_8h_min_hours') }}) as valid_count
    from o3_windows
    group by all
),

unioned as (
    select * from day_means
    union all
    select * from o3_8h
)

select * from unioned
