-- D02 missing data: hours of an outlet × pollutant that are absent, or invalid (< 45 valid minutes,
-- HJ 75) without a declared reason, between its first and last reported hour, unless the flue gas
-- says the unit was stopped (a stopped unit owes no data; an absent stretch between two stopped
-- hours is a shutdown). Declared maintenance/calibration/stop marks (M, C, F, Sd) are not gaps: their
-- timing is judged by calibration_timing, their truth by flag_abuse.
-- Grain: one episode of consecutive missing hours.
{%- set min_hours = var('anomaly_missing_min_hours', 1) %}

with bounds as (
    select mn, pollutant_code, min(hour_start) as first_hour, max(hour_start) as last_hour
    from {{ ref('int_anomalies__hourly_input') }}
    group by mn, pollutant_code
),

grid as (
    select b.mn, b.pollutant_code, g.hour_start
    from bounds b,
         lateral (select {{ unnest_list(value_series("b.first_hour", "b.last_hour", "interval 1 hour")) }}
                  as hour_start) g
),

hours as (
    select g.mn, g.pollutant_code, g.hour_start,
           h.hour_start is null as absent,
           coalesce(h.is_valid, false) or coalesce(h.flag, 'N') in ('M', 'C', 'F', 'Sd') as is_valid,
           h.valid_minutes, s.state
    from grid g
    left join {{ ref('int_anomalies__hourly_input') }} h using (mn, pollutant_code, hour_start)
    left join {{ ref('int_anomalies__operating_state') }} s using (mn, hour_start)
),

flagged as (
    select *, hour_start - {{ hours_interval("row_number() over ( partition by mn, pollutant_code order by hour_start)") }} as grp
    from hours
    where not is_valid and coalesce(state, 'unknown') not in ('stopped', 'transition')
),

episodes as (
    select mn, pollutant_code, grp, min(hour_start) as start_time, max(hour_start) as end_time,
           count(*) as hours, count(*) filter (where absent) as absent_hours,
           count(*) filter (where not absent) as invalid_hours,
           count(*) filter (where state is null) as unknown_state_hours
    from flagged
    group by mn, pollutant_code, grp
    having count(*) >= {{ min_hours }}
),

bracketed as (
    -- an absent stretch whose neighbours on both sides are stopped is a shutdown without data
    select e.*,
           (select s.raw_state from {{ ref('int_anomalies__operating_state') }} s
            where s.mn = e.mn and s.hour_start = e.start_time - interval 1 hour) as state_before,
           (select s.raw_state from {{ ref('int_anomalies__operating_state') }} s
            where s.mn = e.mn and s.hour_start = e.end_time + interval 1 hour) as state_after
    from episodes e
)

select substr(md5(concat_ws('|', 'missing_data', b.mn, b.pollutant_code, start_time::string,
                            end_time::string, 'sql.missing_data')), 1, 16) as anomaly_id,
       b.mn, p.outlet_id, p.enterprise_id, b.pollutant_code, start_time, end_time,
       'missing_data' as anomaly_type, 'low' as severity, 'sql.missing_data' as detector,
       {% call json_text() %}json_object('window', json_object('start', start_time, 'end', end_time),
                   'values', json_object('hours', hours, 'absent_hours', absent_hours,
                                         'invalid_hours', invalid_hours,
                                         'state_before', state_before, 'state_after', state_after),
                   'statistic', json_object('name', 'missing_or_invalid_hours', 'value', hours),
                   'threshold', json_object('min_hours', {{ min_hours }},
                                            'valid_hour_min_minutes', 45)){% endcall %} as evidence,
       'HJ 75/76-2017: hour valid with >= 45 valid minutes; absent or invalid hours (D02)'
           as rule_basis
from bracketed b
left join {{ ref('int_anomalies__outlet_pollutants') }} p using (mn, pollutant_code)
where not (b.absent_hours = b.hours and coalesce(b.state_before, '') = 'stopped'
           and coalesce(b.state_after, '') = 'stopped')
