-- D01 exceedance: valid, normally-flagged hours whose hourly average (converted where the outlet has
-- a reference O2, measured otherwise) is above the outlet's permit limit. The rule basis names the
-- emission standard behind that limit (int_anomalies__emission_standards, with its status).
-- Grain: one episode of consecutive exceeding hours per outlet × pollutant.
with hourly as (
    select * from {{ ref('int_anomalies__hourly_input') }}
),

outlets as (
    select * from {{ ref('int_anomalies__outlet_pollutants') }}
),

state as (
    select * from {{ ref('int_anomalies__operating_state') }}
),

standards as (
    select * from {{ ref('int_anomalies__emission_standards') }}
),

hours as (
    select h.mn, h.pollutant_code, h.hour_start, h.flag,
           case when p.reference_o2 is not null then h.avg_converted else h.avg_measured end as value,
           p.reference_o2 is not null as converted_basis,
           p.limit_mg_m3, p.outlet_id, p.enterprise_id
    from hourly h
    join outlets p using (mn, pollutant_code)
    left join state s using (mn, hour_start)
    -- a stopped or starting unit in ambient air has no meaningful converted value; a value
    -- judged as measured (no reference O2) needs no O2 correction, so a start-up hour's reading
    -- is the flue gas's as any other
    where h.is_valid and coalesce(h.flag, 'N') = 'N' and p.limit_mg_m3 is not null
      and (coalesce(s.state, 'unknown') in ('running', 'unknown')
           or p.reference_o2 is null and s.state = 'transition')
),

flagged as (
    select *, hour_start - {{ hours_interval("row_number() over ( partition by mn, pollutant_code order by hour_start)") }} as grp
    from hours
    where value > limit_mg_m3
),

episodes as (
    select mn, pollutant_code, grp, any_value(outlet_id) as outlet_id,
           any_value(enterprise_id) as enterprise_id, min(hour_start) as start_time,
           max(hour_start) as end_time, count(*) as hours, max(value) as max_value,
           avg(value) as mean_value, any_value(limit_mg_m3) as limit_mg_m3,
           bool_and(converted_basis) as converted_basis
    from flagged
    group by mn, pollutant_code, grp
),

final as (
    select substr(md5(concat_ws('|', 'exceedance', e.mn, e.pollutant_code, e.start_time::string,
                                e.end_time::string, 'sql.exceedance')), 1, 16) as anomaly_id,
           e.mn, e.outlet_id, e.enterprise_id, e.pollutant_code, e.start_time, e.end_time,
           'exceedance' as anomaly_type, 'high' as severity, 'sql.exceedance' as detector,
           {% call json_text() %}json_object('window', json_object('start', e.start_time, 'end', e.end_time),
                       'values', json_object('hours', e.hours,
                                             'max_mg_m3', {{ round_exact("e.max_value", 3) }},
                                             'mean_mg_m3', {{ round_exact("e.mean_value", 3) }},
                                             'basis', case when e.converted_basis
                                                           then 'converted (折算)'
                                                           else 'measured (实测)' end),
                       'statistic', json_object('name', 'max_hourly_average_mg_m3',
                                                'value', {{ round_exact("e.max_value", 3) }}),
                       'threshold', json_object('limit_mg_m3', e.limit_mg_m3),
                       'standard', json_object('id', st.standard_id,
                                               'basis', st.standard_basis)){% endcall %} as evidence,
           'D01: 1-h ' || case when e.converted_basis then 'converted (折算)' else 'measured (实测)' end
           || ' average above the permit limit; limit basis: '
           || coalesce(st.standard_basis, 'permit limit (no standard mapped)') as rule_basis
    from episodes e
    left join standards st using (mn, pollutant_code)
)

select * from final
