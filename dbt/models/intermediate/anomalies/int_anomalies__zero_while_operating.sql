-- D03 zero while operating: at least N consecutive hours at "zero" while flow, O2 and temperature
-- say the unit runs. Zero is |value| ≤ 0.5 % of span, or ≤ the detection limit where that is
-- lower; on an outlet that normally emits well above its detection limit, a reading under the
-- detection limit on both bases (measured and converted, so that the excess air of a start-up,
-- which dilutes the measured value only, is not zero) is zero too: the analyser cannot tell it
-- from zero. So is a reading under half the detection limit (both bases) on an outlet that
-- emits at least at its detection limit and reads that low in at most 5 % of its running hours
-- (an outlet that often reads near zero, a gas-fired unit's SO2, is left to the first two). A
-- real shutdown is not a finding (only 'running' hours count), nor is a reading
-- under a declared maintenance or calibration mark (its timing is calibration_timing's to
-- judge). Grain: one episode.
{%- set span_share = var('anomaly_zero_span_share', 0.005) %}
{%- set min_hours = var('anomaly_zero_min_hours', 3) %}
{%- set dl_baseline = var('anomaly_zero_dl_baseline_multiple', 3.0) %}
{%- set near_zero_dl = var('anomaly_zero_near_zero_dl_share', 0.5) %}
{%- set rare_share = var('anomaly_zero_near_zero_rare_share', 0.05) %}

-- Only the hours low enough to be zero are read in full (a county-year's running hours are
-- millions, its near-zero ones thousands), and the running levels of their series only.
with running as (
    select h.*, p.analyzer_range, p.detection_limit, p.outlet_id, p.enterprise_id,
           least({{ span_share }} * coalesce(p.analyzer_range, 0),
                 coalesce(p.detection_limit, {{ span_share }} * coalesce(p.analyzer_range, 0)))
               as strict_tol
    from {{ ref('int_anomalies__hourly_input') }} h
    join {{ ref('int_anomalies__outlet_pollutants') }} p using (mn, pollutant_code)
    join {{ ref('int_anomalies__operating_state') }} s using (mn, hour_start)
    where s.state = 'running' and h.avg_measured is not null
),

-- running hours not under a maintenance or calibration mark at zero, or under the detection
-- limit (every hour `hours` can flag, and more)
low as (
    select * from running
    where coalesce(flag, 'N') not in ('M', 'C')
      and (avg_measured <= strict_tol and avg_measured >= -strict_tol
           or avg_measured <= detection_limit)
),

levels as (
    select h.mn, h.pollutant_code, median(h.avg_measured) as running_median,
           avg(case when h.avg_measured <= {{ near_zero_dl }} * l.detection_limit then 1.0 else 0.0 end)
               as near_zero_share
    from {{ ref('int_anomalies__hourly_input') }} h
    join (select distinct mn, pollutant_code, detection_limit from low) l
      using (mn, pollutant_code)
    join {{ ref('int_anomalies__operating_state') }} s using (mn, hour_start)
    where s.state = 'running' and h.avg_measured is not null
      and coalesce(h.flag, 'N') = 'N' and h.is_valid
    group by h.mn, h.pollutant_code
),

hours as (
    select r.mn, r.pollutant_code, r.hour_start, r.avg_measured as value, r.flag,
           r.analyzer_range, r.outlet_id, r.enterprise_id, l.running_median, l.near_zero_share,
           r.strict_tol,
           r.detection_limit is not null and (
               l.running_median >= {{ dl_baseline }} * r.detection_limit
               and r.avg_measured <= r.detection_limit
               and coalesce(r.avg_converted, r.avg_measured) <= r.detection_limit
               or l.running_median >= r.detection_limit
               and l.near_zero_share <= {{ rare_share }}
               and r.avg_measured <= {{ near_zero_dl }} * r.detection_limit
               and coalesce(r.avg_converted, r.avg_measured) <= {{ near_zero_dl }} * r.detection_limit
           )
               as under_detection_limit
    from low r
    left join levels l using (mn, pollutant_code)
),

flagged as (
    select *, hour_start - {{ hours_interval("row_number() over ( partition by mn, pollutant_code order by hour_start)") }} as grp
    from hours
    where (value <= strict_tol and value >= -strict_tol) or under_detection_limit
),

episodes as (
    select mn, pollutant_code, grp, any_value(outlet_id) as outlet_id,
           any_value(enterprise_id) as enterprise_id, min(hour_start) as start_time,
           max(hour_start) as end_time, count(*) as hours, max(abs(value)) as max_abs,
           any_value(strict_tol) as zero_tol, any_value(running_median) as running_median,
           any_value(near_zero_share) as near_zero_share,
           count(*) filter (where not (value <= strict_tol and value >= -strict_tol))
               as hours_under_detection_limit
    from flagged
    group by mn, pollutant_code, grp
    having count(*) >= {{ min_hours }}
)

select substr(md5(concat_ws('|', 'zero_while_operating', mn, pollutant_code, start_time::string,
                            end_time::string, 'sql.zero_while_operating')), 1, 16) as anomaly_id,
       mn, outlet_id, enterprise_id, pollutant_code, start_time, end_time,
       'zero_while_operating' as anomaly_type, 'medium' as severity,
       'sql.zero_while_operating' as detector,
       {% call json_text() %}json_object('window', json_object('start', start_time, 'end', end_time),
                   'values', json_object('hours', hours, 'max_abs_mg_m3', {{ round_exact("max_abs", 4) }},
                                         'hours_under_detection_limit_only',
                                         hours_under_detection_limit,
                                         'outlet_running_median_mg_m3',
                                         {{ round_exact("running_median", 4) }},
                                         'outlet_share_of_hours_under_half_dl',
                                         {{ round_exact("near_zero_share", 4) }},
                                         'operating_state', 'running'),
                   'statistic', json_object('name', 'consecutive_zero_hours_while_running',
                                            'value', hours),
                   'threshold', json_object('min_hours', {{ min_hours }},
                                            'zero_tolerance_mg_m3', {{ round_exact("zero_tol", 4) }},
                                            'detection_limit_baseline_multiple',
                                            {{ dl_baseline }},
                                            'near_zero_detection_limit_share', {{ near_zero_dl }},
                                            'near_zero_max_share_of_hours', {{ rare_share }})){% endcall %}
           as evidence,
       '零值 rule read with physics (Tianjin practice): zero while flow, O2 and temperature show '
       || 'operation (D03)' as rule_basis
from episodes
