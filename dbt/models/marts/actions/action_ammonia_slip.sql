-- marts.action_ammonia_slip: units with ammonia-based desulfurization/denitrification but no
-- ammonia-slip automatic monitoring (plan task 22). Grain: unit (enterprise × unit_id).
-- Ammonia use: the kiln ledger's flag, else a desulfurization/denitrification tech the
-- inventory_control_efficiencies seed marks uses_ammonia. Monitoring: the kiln ledger's flag, else
-- an NH3 (a21001) limit or NH3 CEMS data on one of the unit's outlets.
with rules as (
    select * from {{ ref('inventory_action_rules') }} where rule_id = 'T22-AMMONIA-SLIP'
),

kiln_flags as (
    select enterprise_id, unit_id, ammonia_slip_monitoring from {{ ref('stg_ledgers__kilns') }}
),

nh3_outlets as (
    select po.enterprise_id, po.point_id
    from {{ ref('int_inventory__point_outlets') }} as po
    inner join {{ ref('stg_registry__outlet_limits') }} as l on l.mn = po.mn and l.pollutant_code = 'a21001'
    union
    select enterprise_id, point_id
    from {{ ref('int_inventory__cems_monthly') }}
    where pollutant = 'nh3'
),

units as (
    select
        u.enterprise_id, u.unit_id, u.source_kind, u.desulfurization, u.denitrification,
        p.point_id, p.mn,
        coalesce(k.ammonia_slip_monitoring, n.point_id is not null) as has_slip_monitoring,
        k.ammonia_slip_monitoring is not null as monitoring_from_ledger
    from {{ ref('int_inventory__units') }} as u
    left join {{ ref('int_inventory__emission_points') }} as p
        on p.enterprise_id = u.enterprise_id and p.unit_id = u.unit_id
    left join kiln_flags as k
        on u.source_kind = 'kiln' and k.enterprise_id = u.enterprise_id and k.unit_id = u.unit_id
    left join nh3_outlets as n on n.point_id = p.point_id
    where u.uses_ammonia
    qualify row_number() over (partition by u.enterprise_id, u.unit_id order by p.point_id) = 1
)

select
    {{ inventory_rule_columns('r') }},
    u.enterprise_id,
    e.name as enterprise_name,
    e.township,
    u.unit_id,
    u.source_kind,
    u.desulfurization,
    u.denitrification,
    u.mn,
    r.effective_from as basis_date,
    {{ inventory_as_of_date() }} as as_of_date,
    concat_ws('; ',
        'desulfurization=' || coalesce(u.desulfurization, '?'),
        'denitrification=' || coalesce(u.denitrification, '?'),
        'slip_monitoring=false (' || case when u.monitoring_from_ledger then 'kiln ledger'
            else 'no NH3 limit or NH3 CEMS data on the unit''s outlets' end || ')'
    ) as evidence
from units as u
cross join rules as r
left join {{ ref('stg_registry__enterprises') }} as e on e.enterprise_id = u.enterprise_id
where not u.has_slip_monitoring
