-- Operating state per device-hour from physics (flow, O2, stack temperature), never from marks.
-- Grain: mn × hour_start. Each available channel votes running/stopped against the outlet's own
-- typical running level; O2 votes only where the outlet's flue gas is normally well below ambient
-- (dust and VOC outlets run near 20 % O2). The first hour after a change of state is 'transition'.
{%- set flow_share = var('anomaly_flow_running_share', 0.2) %}
{%- set o2_ambient = var('anomaly_o2_ambient_pct', 19.5) %}
{%- set o2_informative = var('anomaly_o2_informative_p25', 18.5) %}
{%- set temp_share = var('anomaly_temp_hot_share', 0.5) %}
{%- set temp_min = var('anomaly_temp_hot_min_c', 40.0) %}

with device as (
    select mn, hour_start,
           max(flow_m3_s) as flow_m3_s, max(o2) as o2, max(temp_c) as temp_c
    from {{ ref('int_anomalies__hourly_input') }}
    group by mn, hour_start
),

refs as (
    select mn,
           {{ continuous_quantile("flow_m3_s", "0.95") }} as flow_p95,
           {{ continuous_quantile("temp_c", "0.95") }} as temp_p95,
           {{ continuous_quantile("o2", "0.25") }} as o2_p25
    from device
    group by mn
),

votes as (
    select d.*, r.flow_p95, r.temp_p95, r.o2_p25,
           case when d.flow_m3_s is null or r.flow_p95 is null or r.flow_p95 <= 0 then null
                when d.flow_m3_s >= {{ flow_share }} * r.flow_p95 then 1 else 0 end as flow_vote,
           case when d.o2 is null or r.o2_p25 is null or r.o2_p25 >= {{ o2_informative }} then null
                when d.o2 < {{ o2_ambient }} then 1 else 0 end as o2_vote,
           case when d.temp_c is null or r.temp_p95 is null then null
                when d.temp_c >= greatest({{ temp_min }}, {{ temp_share }} * r.temp_p95) then 1
                else 0 end as temp_vote
    from device d join refs r using (mn)
),

scored as (
    select *,
           coalesce(flow_vote, 0) + coalesce(o2_vote, 0) + coalesce(temp_vote, 0) as running_votes,
           (flow_vote is not null)::int + (o2_vote is not null)::int + (temp_vote is not null)::int
               as voters
    from votes
),

stated as (
    select *,
           case when voters = 0 then 'unknown'
                when 2 * running_votes > voters then 'running'
                when 2 * running_votes = voters then coalesce(
                    case when flow_vote = 1 then 'running' when flow_vote = 0 then 'stopped' end,
                    'unknown')
                else 'stopped' end as raw_state
    from scored
)

select mn, hour_start, flow_m3_s, o2, temp_c, flow_p95, temp_p95, o2_p25,
       flow_vote, o2_vote, temp_vote, running_votes, voters,
       -- the first hour after a change of state (start-up, or the stack still cooling) is a
       -- transition: neither clean running nor a settled stop
       case when raw_state in ('running', 'stopped')
                 and coalesce(lag(raw_state) over w, raw_state) <> raw_state
            then 'transition' else raw_state end as state,
       raw_state
from stated
window w as (partition by mn order by hour_start)
