-- D05 over range: HJ 212 flag T (采样数值超过测量上限) or an hourly average at/above 99 % of the
-- analyser span (a plateau at full scale). Grain: one episode.
{%- set span_share = var('anomaly_over_range_span_share', 0.99) %}

with flagged as (
    select h.mn, h.pollutant_code, h.hour_start, h.avg_measured as value, h.flag,
           p.analyzer_range, p.outlet_id, p.enterprise_id,
           h.hour_start - {{ hours_interval("row_number() over ( partition by h.mn, h.pollutant_code order by h.hour_start)") }} as grp
    from {{ ref('int_anomalies__hourly_input') }} h
    join {{ ref('int_anomalies__outlet_pollutants') }} p using (mn, pollutant_code)
    where h.flag = 'T' or h.avg_measured >= {{ span_share }} * p.analyzer_range
),

episodes as (
    select mn, pollutant_code, grp, any_value(outlet_id) as outlet_id,
           any_value(enterprise_id) as enterprise_id, min(hour_start) as start_time,
           max(hour_start) as end_time, count(*) as hours, max(value) as max_value,
           count(*) filter (where flag = 'T') as t_flags, any_value(analyzer_range) as analyzer_range
    from flagged
    group by mn, pollutant_code, grp
)

select substr(md5(concat_ws('|', 'over_range', mn, pollutant_code, start_time::string,
                            end_time::string, 'sql.over_range')), 1, 16) as anomaly_id,
       mn, outlet_id, enterprise_id, pollutant_code, start_time, end_time,
       'over_range' as anomaly_type, 'low' as severity, 'sql.over_range' as detector,
       {% call json_text() %}json_object('window', json_object('start', start_time, 'end', end_time),
                   'values', json_object('hours', hours, 'max_mg_m3', {{ round_exact("max_value", 3) }},
                                         't_flags', t_flags),
                   'statistic', json_object('name', 'max_hourly_measured_mg_m3',
                                            'value', {{ round_exact("max_value", 3) }}),
                   'threshold', json_object('analyzer_range', analyzer_range,
                                            'span_share', {{ span_share }})){% endcall %} as evidence,
       'HJ 212-2017 Table 8 flag T (超测上限) or values at span (D05)' as rule_basis
from episodes
