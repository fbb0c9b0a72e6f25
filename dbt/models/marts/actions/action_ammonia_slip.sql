-- marts.action_ammonia_slip: ammonia-slip automatic monitoring where ammonia-based
-- desulfurization/denitrification is used (plan task 22). Grain: unit (enterprise × unit_id); a
-- unit lands under at most one rule:
--   T22-AMMONIA-SLIP            no NH3 data from the unit's outlets and no monitoring claimed
--   T22-SLIP-NO-DATA            monitoring claimed (kiln ledger, or an NH3 channel registered on an
--                               outlet's MN) but no NH3 data has reached the platform: the plan
--                               asks for networked monitoring
--   T22-LEDGER-CONTRADICTS-DATA NH3 data arrives from the unit's outlet while the kiln ledger says
--                               "no slip monitoring": the unit is monitored, the ledger needs correcting
-- NH3 data that arrives (marts.cems_hourly, a21001) is the evidence of monitoring and outranks
-- what a ledger says. Ammonia use: the kiln ledger's flag, else a device the
-- inventory_control_efficiencies seed marks uses_ammonia (int_inventory__units).
with rules as (
    select * from {{ ref('inventory_action_rules') }} where action_list = 'action_ammonia_slip'
),

ammonia_units as (
    select enterprise_id, unit_id, source_kind, desulfurization, denitrification
    from {{ ref('int_inventory__units') }}
    where uses_ammonia
),

kiln_flags as (
    select enterprise_id, unit_id, ammonia_slip_monitoring from {{ ref('stg_ledgers__kilns') }}
),

unit_outlets as (
    select enterprise_id, nullif(trim(unit_id), '') as unit_id, outlet_id, nullif(trim(mn), '') as mn
    from {{ ref('stg_registry__outlets') }}
    where nullif(trim(unit_id), '') is not null
),

nh3_channels as (
    select distinct mn from {{ ref('stg_registry__outlet_limits') }} where pollutant_code = 'a21001'
),

nh3_hours as (
    select
        mn,
        count(*) as nh3_hours,
        min(hour_start) as first_hour,
        max(hour_start) as last_hour
    from {{ ref('cems_hourly') }}
    where pollutant_code = 'a21001'
        and avg_measured is not null
        and cast(hour_start as date) <= {{ inventory_as_of_date() }}
    group by mn
),

unit_monitoring as (
    select
        au.enterprise_id, au.unit_id,
        {{ ordered_string_agg("uo.mn", "','", "uo.mn") }} as mns,
        coalesce(sum(h.nh3_hours), 0) as nh3_hours,
        min(h.first_hour) as first_nh3_hour,
        max(h.last_hour) as last_nh3_hour,
        min_by(uo.mn, h.first_hour) as nh3_mn,
        bool_or(c.mn is not null) as has_nh3_channel
    from ammonia_units as au
    left join unit_outlets as uo on uo.enterprise_id = au.enterprise_id and uo.unit_id = au.unit_id
    left join nh3_hours as h on h.mn = uo.mn
    left join nh3_channels as c on c.mn = uo.mn
    group by au.enterprise_id, au.unit_id
),

judged as (
    select
        au.*,
        um.mns, um.nh3_hours, um.first_nh3_hour, um.last_nh3_hour, um.nh3_mn,
        coalesce(um.has_nh3_channel, false) as has_nh3_channel,
        k.ammonia_slip_monitoring as ledger_says,
        case
            when um.nh3_hours > 0 and k.ammonia_slip_monitoring = false then 'T22-LEDGER-CONTRADICTS-DATA'
            when um.nh3_hours > 0 then null
            when k.ammonia_slip_monitoring or um.has_nh3_channel then 'T22-SLIP-NO-DATA'
            else 'T22-AMMONIA-SLIP'
        end as rule_id
    from ammonia_units as au
    left join unit_monitoring as um on um.enterprise_id = au.enterprise_id and um.unit_id = au.unit_id
    left join kiln_flags as k
        on au.source_kind = 'kiln' and k.enterprise_id = au.enterprise_id and k.unit_id = au.unit_id
)

select
    {{ inventory_rule_columns('r') }},
    j.enterprise_id,
    e.name as enterprise_name,
    e.township,
    j.unit_id,
    j.source_kind,
    j.desulfurization,
    j.denitrification,
    coalesce(j.nh3_mn, split_part(j.mns, ',', 1)) as mn,
    j.nh3_hours,
    case when j.rule_id = 'T22-LEDGER-CONTRADICTS-DATA' then cast(j.first_nh3_hour as date)
        else r.effective_from end as basis_date,
    {{ inventory_as_of_date() }} as as_of_date,
    concat_ws('; ',
        'desulfurization=' || coalesce(j.desulfurization, '?'),
        'denitrification=' || coalesce(j.denitrification, '?'),
        'outlet_mn=' || coalesce(j.mns, 'none'),
        'nh3_data_hours=' || cast(j.nh3_hours as string)
            || case when j.nh3_hours > 0 then ' (' || {{ format_time("j.first_nh3_hour", "%Y-%m-%d %H:%M") }}
                || ' .. ' || {{ format_time("j.last_nh3_hour", "%Y-%m-%d %H:%M") }} || ')' else '' end,
        'nh3_channel_registered=' || cast(j.has_nh3_channel as string),
        'kiln_ledger_slip_monitoring=' || coalesce(cast(j.ledger_says as string), 'not reported')
    ) as evidence
from judged as j
inner join rules as r on r.rule_id = j.rule_id
left join {{ ref('stg_registry__enterprises') }} as e on e.enterprise_id = j.enterprise_id
