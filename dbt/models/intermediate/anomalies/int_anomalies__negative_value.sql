-- D04 negative value: hourly measured average below −2 % of the analyser span (zero drift or a
-- fabricated offset; tiny negatives around zero are analyser noise) while the flue gas runs; an
-- analyser reading clean air below zero during a shutdown drifts, but hides no emission.
-- Grain: one episode.
{%- set span_share = var('anomaly_negative_span_share', 0.02) %}

with flagged as (
    select h.mn, h.pollutant_code, h.hour_start, h.avg_measured as value, p.analyzer_range,
           p.outlet_id, p.enterprise_id,
           h.hour_start - {{ hours_interval("row_number() over ( partition by h.mn, h.pollutant_code order by h.hour_start)") }} as grp
    from {{ ref('int_anomalies__hourly_input') }} h
    join {{ ref('int_anomalies__outlet_pollutants') }} p using (mn, pollutant_code)
    left join {{ ref('int_anomalies__operating_state') }} s using (mn, hour_start)
    where h.avg_measured < -{{ span_share }} * coalesce(p.analyzer_range, 0)
      and coalesce(s.state, 'unknown') not in ('stopped', 'transition')
),

episodes as (
    select mn, pollutant_code, grp, any_value(outlet_id) as outlet_id,
           any_value(enterprise_id) as enterprise_id, min(hour_start) as start_time,
           max(hour_start) as end_time, count(*) as hours, min(value) as min_value,
           any_value(analyzer_range) as analyzer_range
    from flagged
    group by mn, pollutant_code, grp
)

select substr(md5(concat_ws('|', 'negative_value', mn, pollutant_code, start_time::string,
                            end_time::string, 'sql.negative_value')), 1, 16) as anomaly_id,
       mn, outlet_id, enterprise_id, pollutant_code, start_time, end_time,
       'negative_value' as anomaly_type, 'low' as severity, 'sql.negative_value' as detector,
       {% call json_text() %}json_object('window', json_object('start', start_time, 'end', end_time),
                   'values', json_object('hours', hours, 'min_mg_m3', {{ round_exact("min_value", 3) }}),
                   'statistic', json_object('name', 'min_hourly_measured_mg_m3',
                                            'value', {{ round_exact("min_value", 3) }}),
                   'threshold', json_object('below_mg_m3',
                                            {% call rounded(3) %}-{{ span_share }} * analyzer_range{% endcall %},
                                            'span_share', {{ span_share }})){% endcall %} as evidence,
       '负值 platform rule; below −2 % of span (D04)' as rule_basis
from episodes
