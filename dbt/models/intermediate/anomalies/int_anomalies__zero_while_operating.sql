-- D03 zero while operating: at least N consecutive hours at "zero" (|value| ≤ 0.5 % of span, or
-- ≤ the detection limit where that is lower) while flow, O2 and temperature say the unit runs. A real shutdown is not a
-- finding: only 'running' hours count. Grain: one episode.
{%- set span_share = var('anomaly_zero_span_share', 0.005) %}
{%- set min_hours = var('anomaly_zero_min_hours', 3) %}

with hours as (
    select h.mn, h.pollutant_code, h.hour_start, h.avg_measured as value, h.flag,
           p.analyzer_range, p.outlet_id, p.enterprise_id,
           least({{ span_share }} * coalesce(p.analyzer_range, 0),
                 coalesce(p.detection_limit, {{ span_share }} * coalesce(p.analyzer_range, 0)))
               as zero_tol
    from {{ ref('int_anomalies__hourly_input') }} h
    join {{ ref('int_anomalies__outlet_pollutants') }} p using (mn, pollutant_code)
    join {{ ref('int_anomalies__operating_state') }} s using (mn, hour_start)
    where s.state = 'running' and h.avg_measured is not null
),

flagged as (
    select *, hour_start - to_hours(row_number() over (
               partition by mn, pollutant_code order by hour_start)) as grp
    from hours
    where value <= zero_tol and value >= -zero_tol
),

episodes as (
    select mn, pollutant_code, grp, any_value(outlet_id) as outlet_id,
           any_value(enterprise_id) as enterprise_id, min(hour_start) as start_time,
           max(hour_start) as end_time, count(*) as hours, max(abs(value)) as max_abs,
           any_value(zero_tol) as zero_tol
    from flagged
    group by mn, pollutant_code, grp
    having count(*) >= {{ min_hours }}
)

select substr(md5(concat_ws('|', 'zero_while_operating', mn, pollutant_code, start_time::varchar,
                            end_time::varchar, 'sql.zero_while_operating')), 1, 16) as anomaly_id,
       mn, outlet_id, enterprise_id, pollutant_code, start_time, end_time,
       'zero_while_operating' as anomaly_type, 'medium' as severity,
       'sql.zero_while_operating' as detector,
       json_object('window', json_object('start', start_time, 'end', end_time),
                   'values', json_object('hours', hours, 'max_abs_mg_m3', round(max_abs, 4),
                                         'operating_state', 'running'),
                   'statistic', json_object('name', 'consecutive_zero_hours_while_running',
                                            'value', hours),
                   'threshold', json_object('min_hours', {{ min_hours }},
                                            'zero_tolerance_mg_m3', round(zero_tol, 4)))::varchar
           as evidence,
       '零值 rule read with physics (Tianjin practice): zero while flow, O2 and temperature show '
       || 'operation (D03)' as rule_basis
from episodes
