-- D01 mark-aware (masked exceedance): hours above the limit hidden under a self-declared mark
-- (M/C/D/F/S/B) or reported invalid, while the flue gas says the unit was running and the value is
-- flue gas, not a calibration gas or a dead probe. What the marked hours would have been is read
-- from the evidence the DAS itself sent, never from how high the neighbours are:
--  * where the hour's unmarked minutes were sent (minute data), their mean decides: the flue gas
--    over those minutes must itself be above the limit;
--  * otherwise a marked hour is excused as a gas reading when its measured value recurs (within a
--    tolerance) in marked hours of other days (the same zero/span cylinder read again), when it
--    is a one-hour mark at the outlet's routine calibration clock hour (the same mark on many
--    days spread over the series, while the unit ran), when its stretch of hours under the same
--    mark reads flat (a cylinder, not a flue), when it is a zero reading that only the O2
--    conversion inflates, or when its O2 reads ambient air on an outlet whose flue gas is well
--    below ambient (probe out of the stack).
-- Evidence: the values under the mark, the unmarked minutes, the unmarked neighbours (± 3 h),
-- flow and O2 against the outlet's running medians, the standard behind the limit.
-- Grain: one episode of consecutive marked hours.
{%- set recur_tol = var('anomaly_mask_recur_rel_tol', 0.02) %}
{%- set recur_days = var('anomaly_mask_recur_days', 2) %}
{%- set routine_days = var('anomaly_mask_routine_days', 4) %}
{%- set routine_span = var('anomaly_mask_routine_day_span', 0.5) %}
{%- set flat_tol = var('anomaly_mask_flat_rel_tol', 0.02) %}
{%- set zero_dl = var('anomaly_mask_zero_dl_multiple', 2.0) %}
{%- set zero_span = var('anomaly_mask_zero_span_share', 0.01) %}
{%- set min_minutes = var('anomaly_mask_min_unmarked_minutes', 10) %}
{%- set o2_ambient = var('anomaly_o2_ambient_pct', 19.5) %}
{%- set o2_informative = var('anomaly_o2_informative_p25', 18.5) %}

-- Only marked hours are read in full (an outlet's hourly input is 8-9 M rows a county-year):
-- the unmarked ones only around the episodes kept, for the evidence.
with outlets as (
    select * from {{ ref('int_anomalies__outlet_pollutants') }}
    where limit_mg_m3 is not null
),

state as (
    select * from {{ ref('int_anomalies__operating_state') }}
    where state in ('running', 'transition')
),

standards as (
    select * from {{ ref('int_anomalies__emission_standards') }}
),

base as (
    select h.mn, h.pollutant_code, h.hour_start, coalesce(h.flag, 'N') as flag,
           h.avg_measured, h.o2, h.flow_m3_s, h.normal_minutes,
           case when p.reference_o2 is not null then h.avg_converted else h.avg_measured end as value,
           -- the unmarked minutes on the same basis as the limit
           case when p.reference_o2 is not null and h.o2 < 20
                then h.minute_mean * (21 - p.reference_o2) / (21 - h.o2)
                when p.reference_o2 is null then h.minute_mean end as minutes_value,
           p.limit_mg_m3, p.analyzer_range, p.detection_limit, p.outlet_id, p.enterprise_id,
           p.reference_o2
    from {{ ref('int_anomalies__hourly_input') }} h
    join outlets p using (mn, pollutant_code)
    where (coalesce(h.flag, 'N') <> 'N' or not h.is_valid) and coalesce(h.flag, 'N') <> 'T'
),

marked as (
    select *, hour_start - {{ hours_interval("row_number() over ( partition by mn, pollutant_code, flag order by hour_start)") }} as mark_run
    from base
),

-- each stretch of consecutive hours under the same mark: a cylinder reads flat across it, a flue
-- does not
mark_runs as (
    select mn, pollutant_code, flag, mark_run, count(*) as run_hours,
           min(avg_measured) as run_min, max(avg_measured) as run_max
    from marked
    group by mn, pollutant_code, flag, mark_run
),

series_days as (
    select mn, pollutant_code, {{ units_between('day', 'min(hour_start)::date', 'max(hour_start)::date') }} as days
    from {{ ref('int_anomalies__hourly_input') }}
    group by mn, pollutant_code
),

-- clock hours the outlet marks the same way on many days spread over the series while it runs:
-- its routine calibration (the stop flags of a plant that stands every night or weekend are no
-- calibration, nor is another mark at that clock hour)
routine_hours as (
    select m.mn, m.pollutant_code, m.flag, hour(m.hour_start) as clock_hour
    from marked m
    join state s using (mn, hour_start)
    join series_days d using (mn, pollutant_code)
    group by m.mn, m.pollutant_code, m.flag, hour(m.hour_start), d.days
    having count(distinct m.hour_start::date) >= {{ routine_days }}
       and {{ units_between('day', 'min(m.hour_start)::date', 'max(m.hour_start)::date') }} >= {{ routine_span }} * d.days
),

-- marked hours above the limit while the unit ran, not zero
running_above as (
    select m.*, s.state
    from marked m
    join state s using (mn, hour_start)
    where m.value > m.limit_mg_m3
      -- not a zero reading blown up by the O2 conversion
      and m.avg_measured > greatest({{ zero_dl }} * coalesce(m.detection_limit, 0),
                                    {{ zero_span }} * coalesce(m.analyzer_range, 0))
),

running_medians as (
    select mn, median(flow_m3_s) as flow_median, median(o2) as o2_median, any_value(o2_p25) as o2_p25
    from state
    where state = 'running' and mn in (select mn from running_above)
    group by mn
),

-- ... and not ambient air on an outlet whose flue gas is well below ambient
above as (
    select m.*, r.o2_p25, r.flow_median, r.o2_median,
           mr.run_hours >= 2 and mr.run_max <= (1 + {{ flat_tol }}) * mr.run_min as flat_run,
           rh.clock_hour is not null as at_routine_hour,
           coalesce(m.normal_minutes, 0) >= {{ min_minutes }} and m.minutes_value is not null
               as has_minutes
    from running_above m
    left join running_medians r using (mn)
    join mark_runs mr using (mn, pollutant_code, flag, mark_run)
    left join routine_hours rh
      on rh.mn = m.mn and rh.pollutant_code = m.pollutant_code and rh.flag = m.flag
     and rh.clock_hour = hour(m.hour_start)
    where not (coalesce(r.o2_p25, 99) < {{ o2_informative }} and m.o2 >= {{ o2_ambient }})
),

-- the same reading in marked hours of other days: a gas cylinder read again (looked up for the
-- hours above the limit only: a self-join of every marked hour grows with the square of a
-- series' marks)
recurring as (
    select a.mn, a.pollutant_code, a.hour_start,
           count(distinct b.hour_start::date) as other_days
    from above a
    join marked b
      on b.mn = a.mn and b.pollutant_code = a.pollutant_code
     and b.hour_start::date <> a.hour_start::date
     and abs(b.avg_measured - a.avg_measured) <= {{ recur_tol }} * abs(a.avg_measured)
    group by a.mn, a.pollutant_code, a.hour_start
),

candidates as (
    select a.*, coalesce(rc.other_days, 0) as recurring_days
    from above a
    left join recurring rc using (mn, pollutant_code, hour_start)
),

judged as (
    select *,
           case when has_minutes then minutes_value > limit_mg_m3
                else recurring_days < {{ recur_days }} and not flat_run end as flue_gas_hour
    from candidates
),

flagged as (
    select *, hour_start - {{ hours_interval("row_number() over ( partition by mn, pollutant_code order by hour_start)") }} as grp
    from judged
    where flue_gas_hour
),

episodes as (
    select mn, pollutant_code, grp, any_value(outlet_id) as outlet_id,
           any_value(enterprise_id) as enterprise_id, min(hour_start) as start_time,
           max(hour_start) as end_time, count(*) as hours, max(value) as max_value,
           avg(value) as mean_value, min(avg_measured) as min_measured,
           max(avg_measured) as max_measured, {{ ordered_string_agg('flag', "','", 'flag', distinct=true) }} as flags,
           any_value(limit_mg_m3) as limit_mg_m3, any_value(reference_o2) as reference_o2,
           bool_or(has_minutes) as has_minutes,
           max(minutes_value) as max_minutes_value, bool_and(at_routine_hour) as at_routine_hour,
           median(flow_m3_s) as flow_m3_s, median(o2) as o2,
           any_value(flow_median) as flow_running_median, any_value(o2_median) as o2_running_median
    from flagged
    group by mn, pollutant_code, grp
),

kept as (
    select * from episodes
    -- a one-hour mark at the routine calibration clock hour is the routine calibration
    where has_minutes or not (hours = 1 and at_routine_hour)
),

-- the unmarked hours within 3 h of each episode kept, on the limit's basis
neighbours as (
    select k.mn, k.pollutant_code, k.start_time,
           case when k.reference_o2 is not null then h.avg_converted else h.avg_measured end
               as value
    from kept k
    join {{ ref('int_anomalies__hourly_input') }} h
      on h.mn = k.mn and h.pollutant_code = k.pollutant_code
     and coalesce(h.flag, 'N') = 'N' and h.is_valid
     and h.hour_start between k.start_time - interval 3 hours and k.end_time + interval 3 hours
),

context as (
    select mn, pollutant_code, start_time, max(value) as context_max, avg(value) as context_mean
    from neighbours
    group by mn, pollutant_code, start_time
),

final as (
    select substr(md5(concat_ws('|', 'masked_exceedance', k.mn, k.pollutant_code,
                                k.start_time::string, k.end_time::string,
                                'sql.masked_exceedance')), 1, 16) as anomaly_id,
           k.mn, k.outlet_id, k.enterprise_id, k.pollutant_code, k.start_time, k.end_time,
           'masked_exceedance' as anomaly_type, 'high' as severity,
           'sql.masked_exceedance' as detector,
           {% call json_text() %}json_object(
               'window', json_object('start', k.start_time, 'end', k.end_time),
               'values', json_object(
                   'hours', k.hours, 'flags', k.flags,
                   'max_mg_m3', {{ round_exact("k.max_value", 3) }}, 'mean_mg_m3', {{ round_exact("k.mean_value", 3) }},
                   'unmarked_minutes_max_mg_m3', {{ round_exact("k.max_minutes_value", 3) }},
                   'unmarked_neighbours_max_mg_m3', {{ round_exact("c.context_max", 3) }},
                   'unmarked_neighbours_mean_mg_m3', {{ round_exact("c.context_mean", 3) }},
                   'flow_m3_s', {{ round_exact("k.flow_m3_s", 3) }},
                   'flow_running_median_m3_s', {{ round_exact("k.flow_running_median", 3) }},
                   'o2_pct', {{ round_exact("k.o2", 2) }}, 'o2_running_median_pct', {{ round_exact("k.o2_running_median", 2) }},
                   'operating_state', 'running by flow, O2 and temperature',
                   'reading', case when k.has_minutes then 'unmarked minutes above the limit'
                                   else 'flue gas: no recurring calibration reading, not flat, '
                                        || 'not zero, not ambient air' end),
               'statistic', json_object('name', 'max_marked_hourly_average_mg_m3',
                                        'value', {{ round_exact("k.max_value", 3) }}),
               'threshold', json_object(
                   'limit_mg_m3', k.limit_mg_m3,
                   'calibration_reading_rel_tol', {{ recur_tol }},
                   'calibration_reading_other_days', {{ recur_days }},
                   'routine_clock_hour_days', {{ routine_days }},
                   'routine_clock_hour_day_span', {{ routine_span }},
                   'flat_rel_tol', {{ flat_tol }}),
               'standard', json_object('id', st.standard_id, 'basis', st.standard_basis)
           ){% endcall %} as evidence,
           'D01 mark-aware (公告2022年第21号: marked hours are not used to judge compliance): '
           || 'value above the permit limit under an M/C/D/F/S/B mark; limit basis: '
           || coalesce(st.standard_basis, 'permit limit (no standard mapped)') as rule_basis
    from kept k
    left join context c using (mn, pollutant_code, start_time)
    left join standards st using (mn, pollutant_code)
)

select * from final
