-- D02 missing data: hours of an outlet × pollutant that are absent, or invalid (< 45 valid minutes,
-- HJ 75) without a declared reason, between its first and last reported hour, unless the flue gas
-- says the unit was stopped (a stopped unit owes no data). An absent stretch between two stopped
-- hours is a shutdown on a device whose logger goes silent when its unit stops (it sent fewer
-- stopped hours than it left such stretches); a device that sends its stopped hours (flag F or
-- near-zero readings) does not fall silent for a stop, and its silence is missing data.
-- Declared maintenance/calibration/stop marks (M, C, F, Sd) are not gaps: their timing is judged
-- by calibration_timing, their truth by flag_abuse.
-- Grain: one episode of consecutive missing hours.
{%- set min_hours = var('anomaly_missing_min_hours', 1) %}

-- Only absent and invalid hours are read further: the stretches between consecutive reported
-- hours, and the reported hours not valid (not the whole hour grid, 8-9 M rows a county-year).
with reported as (
    select mn, pollutant_code, hour_start,
           coalesce(is_valid, false) or coalesce(flag, 'N') in ('M', 'C', 'F', 'Sd') as is_valid,
           lead(hour_start) over (partition by mn, pollutant_code order by hour_start) as next_hour
    from {{ ref('int_anomalies__hourly_input') }}
),

absent as (
    select r.mn, r.pollutant_code, g.hour_start
    from reported r,
         lateral (select {{ unnest_list(value_series("r.hour_start + interval 1 hour",
                                                     "r.next_hour - interval 1 hour",
                                                     "interval 1 hour")) }} as hour_start) g
    where r.next_hour > r.hour_start + interval 1 hour
),

hours as (
    select u.mn, u.pollutant_code, u.hour_start, u.absent, u.is_valid, s.state
    from (
        select mn, pollutant_code, hour_start, true as absent, false as is_valid
        from absent
        union all
        select mn, pollutant_code, hour_start, false as absent, is_valid
        from reported
        where not is_valid
    ) u
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
    -- an absent stretch whose neighbours on both sides are stopped: a shutdown without data?
    select e.*,
           (select s.raw_state from {{ ref('int_anomalies__operating_state') }} s
            where s.mn = e.mn and s.hour_start = e.start_time - interval 1 hour) as state_before,
           (select s.raw_state from {{ ref('int_anomalies__operating_state') }} s
            where s.mn = e.mn and s.hour_start = e.end_time + interval 1 hour) as state_after
    from episodes e
),

silent_stops as (
    select *, absent_hours = hours and coalesce(state_before, '') = 'stopped'
                  and coalesce(state_after, '') = 'stopped' as between_stops
    from bracketed
),

-- per device: the stopped hours it sent, against the hours it left silent between stops
stop_habits as (
    select mn, pollutant_code, sum(hours) filter (where between_stops) as silent_stop_hours
    from silent_stops
    group by mn, pollutant_code
),

stops_sent as (
    select mn, count(*) as stopped_hours_sent
    from {{ ref('int_anomalies__operating_state') }}
    where raw_state = 'stopped'
    group by mn
)

select substr(md5(concat_ws('|', 'missing_data', b.mn, b.pollutant_code, start_time::string,
                            end_time::string, 'sql.missing_data')), 1, 16) as anomaly_id,
       b.mn, p.outlet_id, p.enterprise_id, b.pollutant_code, start_time, end_time,
       'missing_data' as anomaly_type, 'low' as severity, 'sql.missing_data' as detector,
       {% call json_text() %}json_object('window', json_object('start', start_time, 'end', end_time),
                   'values', json_object('hours', hours, 'absent_hours', absent_hours,
                                         'invalid_hours', invalid_hours,
                                         'state_before', state_before, 'state_after', state_after,
                                         'device_stopped_hours_sent', coalesce(stopped_hours_sent, 0)),
                   'statistic', json_object('name', 'missing_or_invalid_hours', 'value', hours),
                   'threshold', json_object('min_hours', {{ min_hours }},
                                            'valid_hour_min_minutes', 45)){% endcall %} as evidence,
       'HJ 75/76-2017: hour valid with >= 45 valid minutes; absent or invalid hours (D02)'
           as rule_basis
from silent_stops b
left join stop_habits h using (mn, pollutant_code)
left join stops_sent t using (mn)
left join {{ ref('int_anomalies__outlet_pollutants') }} p using (mn, pollutant_code)
where not (b.between_stops and coalesce(t.stopped_hours_sent, 0) < h.silent_stop_hours)
