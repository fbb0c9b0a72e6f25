-- D01 exceedance: valid, normally-flagged hours whose hourly average (converted where the outlet has
-- a reference O2, measured otherwise) is above the hourly limit. Grain: one episode of consecutive
-- exceeding hours per outlet × pollutant.
with hours as (
    select h.mn, h.pollutant_code, h.hour_start, h.flag,
           case when p.reference_o2 is not null then h.avg_converted else h.avg_measured end as value,
           p.limit_mg_m3, p.outlet_id, p.enterprise_id
    from {{ ref('int_anomalies__hourly_input') }} h
    join {{ ref('int_anomalies__outlet_pollutants') }} p using (mn, pollutant_code)
    left join {{ ref('int_anomalies__operating_state') }} s using (mn, hour_start)
    -- a stopped or starting unit in ambient air has no meaningful converted value
    where h.is_valid and coalesce(h.flag, 'N') = 'N' and p.limit_mg_m3 is not null
      and coalesce(s.state, 'unknown') in ('running', 'unknown')
),

flagged as (
    select *, hour_start - to_hours(row_number() over (
               partition by mn, pollutant_code order by hour_start)) as grp
    from hours
    where value > limit_mg_m3
),

episodes as (
    select mn, pollutant_code, grp, any_value(outlet_id) as outlet_id,
           any_value(enterprise_id) as enterprise_id, min(hour_start) as start_time,
           max(hour_start) as end_time, count(*) as hours, max(value) as max_value,
           avg(value) as mean_value, any_value(limit_mg_m3) as limit_mg_m3
    from flagged
    group by mn, pollutant_code, grp
)

select substr(md5(concat_ws('|', 'exceedance', mn, pollutant_code, start_time::varchar,
                            end_time::varchar, 'sql.exceedance')), 1, 16) as anomaly_id,
       mn, outlet_id, enterprise_id, pollutant_code, start_time, end_time,
       'exceedance' as anomaly_type, 'high' as severity, 'sql.exceedance' as detector,
       json_object('window', json_object('start', start_time, 'end', end_time),
                   'values', json_object('hours', hours, 'max_mg_m3', round(max_value, 3),
                                         'mean_mg_m3', round(mean_value, 3)),
                   'statistic', json_object('name', 'max_hourly_average_mg_m3',
                                            'value', round(max_value, 3)),
                   'threshold', json_object('limit_mg_m3', limit_mg_m3))::varchar as evidence,
       'HJ 76-2017 App. B: 1-h converted average above the permit/standard limit (D01)' as rule_basis
from episodes
