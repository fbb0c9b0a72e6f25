-- Monthly activity (fuel, products, solvents) in the factor library's canonical items and units,
-- attached to the emission point that releases it. Grain: one activity ledger row
-- (enterprise × unit × month × category × item).
--  * A unit that feeds another unit's stack (int_inventory__units.feeds_unit_id: a gas generator's
--    coal, burnt as producer gas in the glass furnace) books its activity on the fed unit's point;
--    ledger_unit_id keeps the unit that reported it (its own fuel-side control applies first).
--  * Rows without a unit are enterprise-level (point enterprise|-|-): products that drive the
--    operating hours of unit-less process outlets and the fugitive handling estimates.
with activity as (
    select
        enterprise_id,
        nullif(trim(unit_id), '') as unit_id,
        cast({{ parse_timestamp("left(cast(period as string), 7) || '-01'", "%Y-%m-%d") }} as date) as period_month,
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

units as (
    select * from {{ ref('int_inventory__units') }}
),

points as (
    select * from {{ ref('int_inventory__emission_points') }}
),

attached as (
    select
        a.*,
        coalesce(u.feeds_unit_id, a.unit_id) as emitting_unit_id
    from activity as a
    left join units as u on u.enterprise_id = a.enterprise_id and u.unit_id = a.unit_id
)

select
    a.enterprise_id,
    a.emitting_unit_id as unit_id,
    a.unit_id as ledger_unit_id,
    coalesce(pu.point_id, a.enterprise_id || '|' || coalesce(a.emitting_unit_id, '-') || '|-') as point_id,
    coalesce(pu.source_kind, eu.source_kind) as source_kind,
    a.period_month,
    a.category,
    a.item,
    -- solvent purchases without a known item are still solvents for the mass balance
    coalesce(i.activity_item, case when a.category = 'solvent' then 'solvent' end) as activity_item,
    a.quantity,
    a.raw_unit_as_written,
    u.activity_unit,
    u.multiplier,
    {{ round_exact("a.quantity * u.multiplier", 9) }} as activity_quantity,
    a.sulfur_pct,
    a.ash_pct,
    a.voc_content_pct
from attached as a
left join {{ ref('inventory_activity_items') }} as i on lower(i.raw_item) = a.raw_item
left join {{ ref('inventory_activity_units') }} as u on lower(u.raw_unit) = a.raw_unit
left join units as eu on eu.enterprise_id = a.enterprise_id and eu.unit_id = a.emitting_unit_id
left join points as pu
    on pu.enterprise_id = a.enterprise_id and pu.unit_id = a.emitting_unit_id
-- a unit with several points (outlets without a ledger unit) books activity on the first
qualify row_number() over (
    partition by a.enterprise_id, a.unit_id, a.period_month, a.category, a.item order by pu.point_id
) = 1
