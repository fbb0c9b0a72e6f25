-- Emission points (排放点): each ledger unit with the outlet(s) serving it, plus outlets with no
-- ledger unit. Grain: point_id (enterprise × unit × primary outlet). A unit with several outlets
-- keeps one point (its lowest outlet_id) and all its MNs in int_inventory__point_outlets. A unit
-- whose gas leaves through another unit's stack (feeds_unit_id: gas generators, waste-heat
-- dryers) is no point of its own: its activity belongs to the fed unit's point. A unit with no
-- outlet that feeds nothing is a point of release_type 'unregistered' (it emits, but the registry
-- names no outlet for it: a finding for the permit, never a reason to drop its emissions).
-- The reference O2 is the registry's, else the inventory_reference_o2 seed's for the kind, industry,
-- fuel and (boilers) rated output.
with outlets as (
    select
        enterprise_id, outlet_id, nullif(trim(mn), '') as mn, outlet_name,
        {{ inventory_code('source_kind') }} as outlet_source_kind,
        nullif(trim(unit_id), '') as unit_id, reference_o2, networked
    from {{ ref('stg_registry__outlets') }}
),

units as (
    select * from {{ ref('int_inventory__units') }}
),

unit_outlets as (
    select
        u.enterprise_id, u.unit_id,
        min(o.outlet_id) as outlet_id,
        count(o.outlet_id) as outlet_count
    from units as u
    left join outlets as o on o.enterprise_id = u.enterprise_id and o.unit_id = u.unit_id
    group by u.enterprise_id, u.unit_id
),

unit_points as (
    select
        u.enterprise_id, u.unit_id, uo.outlet_id, uo.outlet_count,
        u.source_kind
    from units as u
    inner join unit_outlets as uo on uo.enterprise_id = u.enterprise_id and uo.unit_id = u.unit_id
    -- a unit feeding another unit's stack is released there, unless the registry gives it an outlet
    where u.feeds_unit_id is null or uo.outlet_count > 0
),

outlet_points as (
    -- outlets whose unit is not in any ledger (or that name no unit)
    select o.enterprise_id, o.unit_id, o.outlet_id, 1 as outlet_count, o.outlet_source_kind as source_kind
    from outlets as o
    left join units as u on u.enterprise_id = o.enterprise_id and u.unit_id = o.unit_id
    where u.unit_id is null
),

points as (
    select * from unit_points
    union all
    select * from outlet_points
),

located as (
    select
        p.*,
        o.mn,
        o.outlet_name,
        o.reference_o2 as registry_reference_o2,
        o.networked,
        u.fuel_item,
        u.capacity_t_h,
        {{ inventory_code('e.key_industry') }} as key_industry
    from points as p
    left join outlets as o on o.enterprise_id = p.enterprise_id and o.outlet_id = p.outlet_id
    left join units as u on u.enterprise_id = p.enterprise_id and u.unit_id = p.unit_id
    left join {{ ref('stg_registry__enterprises') }} as e on e.enterprise_id = p.enterprise_id
),

-- where the registry gives no reference O2, the standard's value for the kind, industry, fuel and size
seed_o2 as (
    select
        l.enterprise_id, l.unit_id, l.outlet_id,
        r.reference_o2_pct
    from located as l
    inner join {{ ref('inventory_reference_o2') }} as r
        on r.source_kind = l.source_kind
        and r.key_industry in ('any', l.key_industry)
        and r.fuel in ('any', l.fuel_item)
        and (r.capacity_above_t_h is null or l.capacity_t_h > r.capacity_above_t_h)
    qualify row_number() over (
        partition by l.enterprise_id, l.unit_id, l.outlet_id
        order by (r.capacity_above_t_h is null), (r.key_industry = 'any'), (r.fuel = 'any')
    ) = 1
)

select
    l.enterprise_id || '|' || coalesce(l.unit_id, '-') || '|' || coalesce(l.outlet_id, '-') as point_id,
    l.enterprise_id,
    l.unit_id,
    l.outlet_id,
    l.mn,
    l.outlet_name,
    l.source_kind,
    l.outlet_count,
    case when l.outlet_id is not null then 'stack' else 'unregistered' end as release_type,
    coalesce(l.registry_reference_o2, so.reference_o2_pct) as reference_o2,
    case
        when l.registry_reference_o2 is not null then 'registry'
        when so.reference_o2_pct is not null then 'inventory_reference_o2'
    end as reference_o2_source,
    l.networked
from located as l
left join seed_o2 as so
    on so.enterprise_id = l.enterprise_id
    and so.unit_id is not distinct from l.unit_id
    and so.outlet_id is not distinct from l.outlet_id
