-- D01 mark-aware: hours above the limit hidden under a self-declared mark (M/C/D/F/S/B) or
-- reported invalid, while the flue gas says running and a neighbouring unmarked hour is also high
-- (a routine calibration of span gas sits in an otherwise ordinary day). Grain: one episode.
{%- set context_share = var('anomaly_mask_context_limit_share', 0.8) %}

with base as (
    select h.mn, h.pollutant_code, h.hour_start, coalesce(h.flag, 'N') as flag, h.is_valid,
           case when p.reference_o2 is not null then h.avg_converted else h.avg_measured end as value,
           p.limit_mg_m3, p.outlet_id, p.enterprise_id
    from {{ ref('int_anomalies__hourly_input') }} h
    join {{ ref('int_anomalies__outlet_pollutants') }} p using (mn, pollutant_code)
    where p.limit_mg_m3 is not null
),

context as (
    select b.*,
           (flag <> 'N' or not is_valid) as marked,
           max(case when flag = 'N' and is_valid then value end) over (
               partition by mn, pollutant_code order by hour_start
               range between interval 2 hours preceding and interval 2 hours following) as context_max
    from base b
),

flagged as (
    select c.*, hour_start - to_hours(row_number() over (
               partition by c.mn, c.pollutant_code order by hour_start)) as grp
    from context c
    join {{ ref('int_anomalies__operating_state') }} s using (mn, hour_start)
    where c.marked and c.flag not in ('T') and c.value > c.limit_mg_m3
      and s.state in ('running', 'transition')
      and c.context_max >= {{ context_share }} * c.limit_mg_m3
),

episodes as (
    select mn, pollutant_code, grp, any_value(outlet_id) as outlet_id,
           any_value(enterprise_id) as enterprise_id, min(hour_start) as start_time,
           max(hour_start) as end_time, count(*) as hours, max(value) as max_value,
           string_agg(distinct flag, ',') as flags, any_value(limit_mg_m3) as limit_mg_m3
    from flagged
    group by mn, pollutant_code, grp
)

select substr(md5(concat_ws('|', 'masked_exceedance', mn, pollutant_code, start_time::varchar,
                            end_time::varchar, 'sql.masked_exceedance')), 1, 16) as anomaly_id,
       mn, outlet_id, enterprise_id, pollutant_code, start_time, end_time,
       'masked_exceedance' as anomaly_type, 'high' as severity, 'sql.masked_exceedance' as detector,
       json_object('window', json_object('start', start_time, 'end', end_time),
                   'values', json_object('hours', hours, 'max_mg_m3', round(max_value, 3),
                                         'flags', flags),
                   'statistic', json_object('name', 'max_marked_hourly_average_mg_m3',
                                            'value', round(max_value, 3)),
                   'threshold', json_object('limit_mg_m3', limit_mg_m3,
                                            'context_limit_share', {{ context_share }}))::varchar
           as evidence,
       'D01 mark-aware: 公告2022年第21号 invalid marks are not used to judge exceedance; value above '
       || 'limit under an M/C/D/F/S/B mark' as rule_basis
from episodes
