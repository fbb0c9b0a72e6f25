{{ config(meta={'dagster': {'ref': {'name': 'action_ammonia_slip'}}}) }}
-- Task 22: NH3 data arriving from a unit's outlet is monitoring, whatever the ledger says. No unit
-- whose outlet sent NH3 hours up to the as-of date may be on a list of units lacking monitoring
-- (the install list or the no-data list). Returns the offending rows.
with nh3_units as (
    select o.enterprise_id, o.unit_id, count(*) as nh3_hours
    from {{ ref('cems_hourly') }} as h
    inner join {{ ref('stg_registry__outlets') }} as o on o.mn = h.mn
    where h.pollutant_code = 'a21001'
        and h.avg_measured is not null
        and cast(h.hour_start as date) <= {{ inventory_as_of_date() }}
    group by o.enterprise_id, o.unit_id
)

select a.enterprise_id, a.unit_id, a.rule_id, n.nh3_hours
from {{ ref('action_ammonia_slip') }} as a
inner join nh3_units as n on n.enterprise_id = a.enterprise_id and n.unit_id = a.unit_id
where a.rule_id in ('T22-AMMONIA-SLIP', 'T22-SLIP-NO-DATA')
