{#- The sub-index (IAQI, HJ 633-2012 §5) of every valid station-day statistic:
    IAQI = (IAQI_hi − IAQI_lo) / (BP_hi − BP_lo) × (C − BP_lo) + IAQI_lo, rounded up. At or
    above the last breakpoint: 500, except the O3 8-h maximum above 800 µg/m³, which has no
    8-h sub-index (its 1-h sub-index applies). Invalid statistics have no sub-index. -#}
with station_days as (
    select * from {{ ref('int_ambient__station_days') }}
),

breakpoints as (
    select * from {{ ref('ambient_aqi_breakpoints') }}
),

tops as (
    select pollutant, statistic, max(bp_hi) as bp_top
    from breakpoints
    group by all
),

indexed as (
    select
        station_days.station_code,
        station_days.pollutant,
        station_days.statistic,
        station_days.day,
        station_days.value,
        station_days.valid_count,
        station_days.is_valid,
        station_days.basis,
        case
            when not station_days.is_valid then null
            when station_days.value >= tops.bp_top then
                case when station_days.statistic = 'max_8h' then null else 500 end
            else cast(ceil({% call rounded(6) %}(breakpoints.iaqi_hi - breakpoints.iaqi_lo) / (breakpoints.bp_hi - breakpoints.bp_lo)
                * (station_days.value - breakpoints.bp_lo) + breakpoints.iaqi_lo{% endcall %}) as integer)
        end as iaqi
    from station_days
    inner join tops
        on tops.pollutant = station_days.pollutant
        and tops.statistic = station_days.statistic
    left join breakpoints
        on breakpoints.pollutant = station_days.pollutant
        and breakpoints.statistic = station_days.statistic
        and station_days.value >= breakpoints.bp_lo
        and station_days.value < breakpoints.bp_hi
)

select * from indexed
