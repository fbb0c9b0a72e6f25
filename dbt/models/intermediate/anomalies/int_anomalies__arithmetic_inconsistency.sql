-- D15 arithmetic consistency, recomputed per hour:
--   converted: ZsAvg vs Avg·(21 − O2ref)/(21 − O2)            (HJ 75 conversion)
--   minutes:   hourly Avg vs the mean of its valid minutes      (HJ 212 App. D)
--   cou:       Cou (kg) vs Avg·flow·3600 s·1e-6                 (HJ 212 App. D)
--   flag_75:   hour flagged N with < 75 % normal minutes        (HJ 212-2017 App. C:
--              "75%以上的正常值", 以上 includes 75 %)
-- Differences below 0.5 % of span are rounding. Grain: one episode per outlet × pollutant × check.
{%- set conv_tol = var('anomaly_convert_rel_tol', 0.02) %}
{%- set min_tol = var('anomaly_minutes_rel_tol', 0.02) %}
{%- set cou_tol = var('anomaly_cou_rel_tol', 0.05) %}
{%- set abs_share = var('anomaly_abs_tol_span_share', 0.005) %}
{%- set normal_share = var('anomaly_flag_normal_share', 0.75) %}

with hours as (
    select h.*, p.reference_o2, p.analyzer_range, p.outlet_id, p.enterprise_id,
           {{ abs_share }} * coalesce(p.analyzer_range, 0) as abs_tol,
           case when p.reference_o2 is not null and h.o2 < 20.0 then
                h.avg_measured * (21 - p.reference_o2) / (21 - h.o2) end as converted_expected,
           h.avg_measured * h.flow_m3_s * 3600 * 1e-6 as cou_expected
    from {{ ref('int_anomalies__hourly_input') }} h
    join {{ ref('int_anomalies__outlet_pollutants') }} p using (mn, pollutant_code)
),

checks as (
    select mn, pollutant_code, hour_start, outlet_id, enterprise_id, 'converted' as check_name,
           avg_converted as reported, converted_expected as expected, {{ conv_tol }} as rel_tol,
           abs_tol * (21 - reference_o2) / greatest(21 - o2, 1) as abs_tol
    from hours
    where avg_converted is not null and converted_expected is not null
      and abs(avg_converted - converted_expected)
          > greatest({{ conv_tol }} * abs(converted_expected),
                     abs_tol * (21 - reference_o2) / greatest(21 - o2, 1))
    union all
    select mn, pollutant_code, hour_start, outlet_id, enterprise_id, 'minutes',
           avg_measured, minute_mean, {{ min_tol }}, abs_tol
    from hours
    where minute_mean is not null and avg_measured is not null and valid_minutes >= 45
      and abs(avg_measured - minute_mean) > greatest({{ min_tol }} * abs(minute_mean), abs_tol)
    union all
    select mn, pollutant_code, hour_start, outlet_id, enterprise_id, 'cou',
           mass_kg, cou_expected, {{ cou_tol }}, abs_tol * flow_m3_s * 3600 * 1e-6
    from hours
    where mass_kg is not null and cou_expected is not null
      and abs(mass_kg - cou_expected)
          > greatest({{ cou_tol }} * abs(cou_expected), abs_tol * flow_m3_s * 3600 * 1e-6, 0.001)
    union all
    select mn, pollutant_code, hour_start, outlet_id, enterprise_id, 'flag_75',
           normal_minutes, 60 * {{ normal_share }}, null, null
    from hours
    where flag = 'N' and normal_minutes is not null and normal_minutes < 60 * {{ normal_share }}
),

flagged as (
    select *, hour_start - {{ hours_interval("row_number() over ( partition by mn, pollutant_code, check_name order by hour_start)") }} as grp
    from checks
),

episodes as (
    select mn, pollutant_code, check_name, grp, any_value(outlet_id) as outlet_id,
           any_value(enterprise_id) as enterprise_id, min(hour_start) as start_time,
           max(hour_start) as end_time, count(*) as hours,
           max_by(reported, abs(reported - expected)) as reported,
           max_by(expected, abs(reported - expected)) as expected,
           max(abs(reported - expected) / nullif(abs(expected), 0)) as max_rel_error,
           any_value(rel_tol) as rel_tol
    from flagged
    group by mn, pollutant_code, check_name, grp
)

select substr(md5(concat_ws('|', 'arithmetic_inconsistency', mn, pollutant_code, check_name,
                            start_time::string, end_time::string,
                            'sql.arithmetic_inconsistency')), 1, 16) as anomaly_id,
       mn, outlet_id, enterprise_id, pollutant_code, start_time, end_time,
       'arithmetic_inconsistency' as anomaly_type, 'medium' as severity,
       'sql.arithmetic_inconsistency' as detector,
       {% call json_text() %}json_object('window', json_object('start', start_time, 'end', end_time),
                   'values', json_object('hours', hours, 'check', check_name,
                                         'reported', {{ round_exact("reported", 4) }},
                                         'expected', {{ round_exact("expected", 4) }}),
                   'statistic', json_object('name', check_name || '_max_relative_error',
                                            'value', {{ round_exact("max_rel_error", 4) }}),
                   'threshold', json_object('relative_tolerance', rel_tol,
                                            'normal_share', {{ normal_share }})){% endcall %}
           as evidence,
       'HJ 212-2017 App. C/D and HJ 75: converted = C·(21−O2ref)/(21−O2); hour = mean of minutes; '
       || 'Cou = Avg·flow·3600; flag N only with >= 75 % normal (D15)' as rule_basis
from episodes
