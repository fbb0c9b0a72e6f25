-- D19 flag abuse (marks vs physics): a "stopped" mark (2017 F instrument stopped, or Sd: the 2005
-- F, emission source stopped) on hours when flow, O2 and temperature say the unit runs (标停未停),
-- and S (manually entered set value) on a pollutant channel.
-- The hour a stop begins is the stop's own edge, not a false mark: the DAS marks the hour the
-- unit stopped in, while physics lags by up to an hour (the fan runs down, the stack cools), so
-- a stopped mark on one 'running' hour that is followed at once by marked hours physics also
-- reads as stopped is left out.
-- Grain: one episode per outlet × pollutant × kind of mark.
-- Only marked hours can be abuse: they are picked first, and the hour after each is looked up
-- (an outlet's hourly input is 8-9 M rows a county-year; its F/Sd/S hours a few thousand).
with marks as (
    select mn, pollutant_code, hour_start, flag, avg_measured
    from {{ ref('int_anomalies__hourly_input') }}
    where flag in ('F', 'Sd', 'S')
),

hours as (
    select m.*, s.state, s.raw_state, s.flow_m3_s, s.o2, s.temp_c,
           case when m.flag in ('F', 'Sd') and s.state = 'running'
                     and not coalesce(n.flag in ('F', 'Sd') and ns.raw_state = 'stopped', false)
                    then 'stopped_mark_while_running'
                when m.flag = 'S' then 'manually_set_value' end as kind
    from marks m
    join {{ ref('int_anomalies__operating_state') }} s using (mn, hour_start)
    -- the next hour, when it is also marked stopped
    left join marks n
      on n.mn = m.mn and n.pollutant_code = m.pollutant_code
     and n.hour_start = m.hour_start + interval 1 hour
    left join {{ ref('int_anomalies__operating_state') }} ns
      on ns.mn = m.mn and ns.hour_start = m.hour_start + interval 1 hour
),

flagged as (
    select *, hour_start - {{ hours_interval("row_number() over ( partition by mn, pollutant_code, kind order by hour_start)") }} as grp
    from hours
    where kind is not null
),

episodes as (
    select mn, pollutant_code, kind, grp, min(hour_start) as start_time,
           max(hour_start) as end_time, count(*) as hours, avg(flow_m3_s) as mean_flow,
           avg(o2) as mean_o2, avg(temp_c) as mean_temp
    from flagged
    group by mn, pollutant_code, kind, grp
)

select substr(md5(concat_ws('|', 'flag_abuse', e.mn, e.pollutant_code, kind, start_time::string,
                            end_time::string, 'sql.flag_abuse')), 1, 16) as anomaly_id,
       e.mn, p.outlet_id, p.enterprise_id, e.pollutant_code, start_time, end_time,
       'flag_abuse' as anomaly_type, 'high' as severity, 'sql.flag_abuse' as detector,
       {% call json_text() %}json_object('window', json_object('start', start_time, 'end', end_time),
                   'values', json_object('hours', hours, 'kind', kind,
                                         'mean_flow_m3_s', {{ round_exact("mean_flow", 3) }},
                                         'mean_o2_pct', {{ round_exact("mean_o2", 2) }},
                                         'mean_temp_c', {{ round_exact("mean_temp", 1) }}),
                   'statistic', json_object('name', kind || '_hours', 'value', hours),
                   'threshold', json_object('min_hours', 1,
                                            'operating_state', 'running by physics')){% endcall %}
           as evidence,
       '标停未停 / false marks (公告2022年第21号; 执法函〔2020〕21号): marks contradicting physics; '
       || 'S (manually set) on a pollutant (D19)' as rule_basis
from episodes e
left join {{ ref('int_anomalies__outlet_pollutants') }} p using (mn, pollutant_code)
