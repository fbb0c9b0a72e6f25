-- Minute readings (CN 2051) aggregated to the hour under HJ 75 / HJ 212-2017 App. C-D.
-- Grain: mn × pollutant_code × hour_start (every channel, flue-gas parameters included).
--  * A minute is valid when its flag is N or T (T = above the analyser's range: the analyser did
--    measure, the value is a lower bound; dropping it would drop exactly the highest minutes and
--    let substitution fill them from lower history). C, M, D, F, S, B, Sd minutes are not valid.
--  * The hour is valid with ≥ var('valid_hour_min_minutes') valid minutes (HJ 212 formula 24).
--  * Flag: N when at least var('flag_normal_share') of the hour's 60 minutes are normal (N) — HJ 212
--    App. C notes: "75%以上的正常值", and 以上 includes the number itself; T minutes are valid for the
--    mean but are not normal values; otherwise the stop flag (F/Sd) when that share of minutes says
--    the source or analyser was stopped (a stopped hour is not an instrument fault), else D.
-- Incremental by day (macros/cems_incremental.sql): a build aggregates the minutes of the days
-- its packets touched, the only pass over minute data.
{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy='replace_days',
) }}
{%- set minutes_per_hour = 60 %}
with minutes as (
    select
        *,
        date_trunc('hour', data_time) as hour_start,
        coalesce(flag_2017 in ('N', 'T'), false) and avg_value is not null as is_valid_minute
    from {{ ref('int_cems__readings_pivoted') }}
    where cn = '2051' and {{ cems_days_filter('data_time') }}  -- minute data (cn: scans skip the rest)
),

hours as (
    select
        mn,
        pollutant_code,
        hour_start,
        count(*) as minutes_reported,
        count(*) filter (where is_valid_minute) as valid_minutes,
        count(*) filter (where flag_2017 = 'N') as normal_minutes,
        count(*) filter (where flag_2017 in ('C', 'M')) as marked_minutes,
        count(*) filter (where flag_2017 in ('F', 'Sd')) as stopped_minutes,
        count(*) filter (where flag_2017 = 'T') as over_range_minutes,
        mode(flag_2017) filter (where flag_2017 in ('F', 'Sd')) as stop_flag,
        {{ exact_avg('avg_value', where='is_valid_minute') }} as minute_mean,
        {{ exact_avg('avg_value') }} as all_minutes_mean,
        min(min_value) filter (where is_valid_minute) as minute_min,
        max(max_value) filter (where is_valid_minute) as minute_max,
        {{ exact_avg('zs_avg_value', where='is_valid_minute') }} as minute_zs_mean,
        {{ exact_sum('cou_value', where='is_valid_minute') }} as valid_minutes_cou,
        max(unit) as unit,
        max(protocol_version) as protocol_version
    from minutes
    group by mn, pollutant_code, hour_start
)

select
    mn,
    pollutant_code,
    hour_start,
    minutes_reported,
    valid_minutes,
    normal_minutes,
    marked_minutes,
    stopped_minutes,
    over_range_minutes,
    minute_mean,
    -- an invalid hour still shows what was measured (all its minutes), never passes as valid
    coalesce(minute_mean, all_minutes_mean) as avg_measured,
    minute_min,
    minute_max,
    minute_zs_mean,
    valid_minutes_cou,
    valid_minutes >= {{ var('valid_hour_min_minutes') }} as is_valid,
    case
        when normal_minutes >= {{ var('flag_normal_share') }} * {{ minutes_per_hour }} then 'N'
        when stopped_minutes >= {{ var('flag_normal_share') }} * {{ minutes_per_hour }} then stop_flag
        else 'D'
    end as flag,
    unit,
    protocol_version
from hours
order by mn, pollutant_code, hour_start
