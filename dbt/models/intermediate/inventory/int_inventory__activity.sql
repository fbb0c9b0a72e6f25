-- Monthly activity (fuel, products, solvents) in the factor library's canonical items and units,
-- attached to its emission point. Grain: one activity ledger row
-- (enterprise × unit × month × category × item).
with activity as (
    select
        enterprise_id,
        nullif(trim(unit_id), '') as unit_id,
        cast(strptime(left(cast(period as varchar), 7) || '-01', '%Y-%m-%d') as date) as period_month,
        {{ inventory_code('category') }} as category,
        item,
        {{ inventory_code('item') }} as raw_item,
        quantity,
        unit as raw_unit_as_written,
        {{ inventory_code('unit') }} as raw_unit,
        sulfur_pct,
        ash_pct,
        voc_content_pct
    from {{ ref('stg_activity__monthly_activities') }}
),

points as (
    select * from {{ ref('int_inventory__emission_points') }}
)

select
    a.enterprise_id,
    a.unit_id,
    coalesce(pu.point_id, a.enterprise_id || '|' || coalesce(a.unit_id, '-') || '|-') as point_id,
    pu.source_kind,
    a.period_month,
    a.category,
    a.item,
    -- solvent purchases without a known item are still solvents for the mass balance
    coalesce(i.activity_item, case when a.category = 'solvent' then 'solvent' end) as activity_item,
    a.quantity,
    a.raw_unit_as_written,
    u.activity_unit,
    u.multiplier,
    round(a.quantity * u.multiplier, 9) as activity_quantity,
    a.sulfur_pct,
    a.ash_pct,
    a.voc_content_pct
from activity as a
left join {{ ref('inventory_activity_items') }} as i on lower(i.raw_item) = a.raw_item
left join {{ ref('inventory_activity_units') }} as u on lower(u.raw_unit) = a.raw_unit
left join points as pu
    on pu.enterprise_id = a.enterprise_id and pu.unit_id = a.unit_id
-- a unit with several points (outlets without a ledger unit) books activity on the first
qualify row_number() over (
    partition by a.enterprise_id, a.unit_id, a.period_month, a.category, a.item order by pu.point_id
) = 1
