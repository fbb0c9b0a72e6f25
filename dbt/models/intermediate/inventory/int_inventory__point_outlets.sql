-- Every registry outlet mapped to the emission point it belongs to. Grain: enterprise × outlet_id.
with points as (
    select * from {{ ref('int_inventory__emission_points') }}
),

outlets as (
    select enterprise_id, outlet_id, nullif(trim(mn), '') as mn, nullif(trim(unit_id), '') as unit_id,
        reference_o2
    from {{ ref('stg_registry__outlets') }}
)

select
    coalesce(po.point_id, pu.point_id) as point_id,
    o.enterprise_id,
    o.outlet_id,
    o.mn,
    -- the outlet's own reference O2, else its point's (which falls back to the standard's)
    coalesce(o.reference_o2, po.reference_o2, pu.reference_o2) as reference_o2
from outlets as o
left join points as pu
    on pu.enterprise_id = o.enterprise_id and pu.unit_id = o.unit_id and o.unit_id is not null
left join points as po
    on po.enterprise_id = o.enterprise_id and po.outlet_id = o.outlet_id
-- an outlet is its own point's primary outlet, or a further outlet of a multi-outlet unit
qualify row_number() over (
    partition by o.enterprise_id, o.outlet_id order by (po.point_id is null), pu.point_id
) = 1
