{#- Every station × day × statistic, from the hourly data where the station sent hours for that
    day and pollutant, else from the platform's daily file; rounded (GB/T 8170, HJ 663-2013:
    integers, CO one decimal) and judged by the data-capture rules: 24-h means and the O3
    daily maximum hour need ambient_valid_day_min_hours valid hours; the O3 daily maximum 8-h
    mean needs ambient_o3_8h_min_windows valid 8-h means, unless it already exceeds
    ambient_o3_8h_limit_ug_m3 (then it stands). -#}
with from_hours as (
    select * from {{ ref('int_ambient__daily_from_hours') }}
),

from_feed as (
    select * from {{ ref('stg_ambient__daily_statistics') }}
),

pollutants as (
    select * from {{ ref('ambient_pollutants') }}
),

combined as (
    select station_code, pollutant, statistic, day, value, valid_count, 'hourly' as basis
    from from_hours
    union all
    select station_code, pollutant, statistic, day, value, valid_count, 'daily_feed' as basis
    from from_feed
    where not exists (
        select 1 from from_hours
        where from_hours.station_code = from_feed.station_code
          and from_hours.pollutant = from_feed.pollutant
          and from_hours.statistic = from_feed.statistic
          and from_hours.day = from_feed.day
    )
),

judged as (
    select
        combined.station_code,
        combined.pollutant,
        combined.statistic,
        combined.day,
        {{ round_half_even("combined.value", "pollutants.decimals") }} as value,
        coalesce(combined.valid_count, 0) as valid_count,
        combined.value is not null and case
            when combined.statistic = 'max_8h' then
                coalesce(combined.valid_count, 0) >= {{ var('ambient_o3_8h_min_windows') }}
                or {{ round_half_even("combined.value", "pollutants.decimals") }} > {{ var('ambient_o3_8h_limit_ug_m3') }}
            else coalesce(combined.valid_count, 0) >= {{ var('ambient_valid_day_min_hours') }}
        end as is_valid,
        combined.basis
    from combined
    inner join pollutants on pollutants.pollutant = combined.pollutant
)

select * from judged
