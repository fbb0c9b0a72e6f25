-- Factor and mass-balance estimates per activity row, pollutant and release, with the control path
-- applied and the limit-implied ceiling for QA. Grain: activity row × pollutant × release.
--   constant:             kg = activity × factor
--   per_sulfur_pct / ash: kg = activity × factor × S% (or ash %)
--   per_voc_content_pct:  kg = activity × 10 kg/t × VOC%   (solvent VOC input)
--   control:              the unit's path for the pollutant (int_inventory__control_paths: a path's
--                         own row or its best device, never multiplied). A feeding unit's own path
--                         (the producer-gas PDS of a gas generator) acts on the fuel before the fed
--                         unit's flue-gas path: two streams, so those two stages multiply.
--   floor:                uncontrolled × (1 − the path's plausible maximum efficiency)
--   VOC:                  emissions = input × (1 − capture × removal); the per-unit balance with
--                         fugitive release and the carbon cap is int_inventory__voc_balance.
--   limit-implied ceiling: limit mg/m³ × flue gas Nm³/unit × (21 − O2_at)/(21 − O2_ref) × activity × 1e-6
with activity as (
    select * from {{ ref('int_inventory__activity') }}
    where activity_quantity is not null and activity_item is not null
),

units as (
    select * from {{ ref('int_inventory__units') }}
),

factors as (
    select * from {{ ref('inventory_emission_factors') }}
),

paths as (
    select * from {{ ref('int_inventory__control_paths') }}
),

candidates as (
    select
        a.*,
        coalesce(a.source_kind, u.source_kind) as unit_source_kind,
        u.capture_type,
        f.ef_id, f.pollutant, f.factor_value, f.factor_form, f.method, f.apply_control,
        f.basis, f.release, f.status as ef_status
    from activity as a
    left join units as u on u.enterprise_id = a.enterprise_id and u.unit_id = a.unit_id
    inner join factors as f
        -- the solvent mass balance applies to every purchase in the solvent category
        on (f.activity_item = a.activity_item or (f.activity_item = 'solvent' and a.category = 'solvent'))
        and f.activity_unit = a.activity_unit
        and (
            f.source_kind = 'any'
            or {{ list_has(split_text("f.source_kind", "|"), "coalesce(a.source_kind, u.source_kind)") }}
        )
        and (f.applies_when = 'any' or (f.applies_when = 'low_nox_burner' and u.low_nox_burner))
        and (
            f.factor_form = 'constant'
            or (f.factor_form = 'per_sulfur_pct' and a.sulfur_pct is not null)
            or (f.factor_form = 'per_ash_pct' and a.ash_pct is not null)
            or (f.factor_form = 'per_voc_content_pct' and a.voc_content_pct is not null)
        )
        -- combustion factors need a unit that burns fuel of its own (not electric, not waste heat)
        and (u.unit_id is null or u.emits_combustion or f.basis <> 'fuel' or a.ledger_unit_id <> a.unit_id)
    qualify row_number() over (
        partition by a.enterprise_id, a.ledger_unit_id, a.period_month, a.category, a.item, f.pollutant, f.release
        order by f.priority, f.ef_id
    ) = 1
),

controlled as (
    select
        c.*,
        case
            when c.factor_form = 'per_sulfur_pct' then c.sulfur_pct
            when c.factor_form = 'per_ash_pct' then c.ash_pct
            when c.factor_form = 'per_voc_content_pct' then c.voc_content_pct
            else 1
        end * c.factor_value * c.activity_quantity as raw_uncontrolled_kg,
        fp.path as control_tech,
        sp.path as fuel_side_tech,
        case when c.apply_control and c.release = 'stack' then
            1 - (1 - coalesce(fp.path_fraction, 0)) * (1 - coalesce(sp.path_fraction, 0))
        else 0.0 end as removal_fraction,
        case when c.apply_control and c.release = 'stack' then
            1 - (1 - coalesce(fp.max_fraction, 0)) * (1 - coalesce(sp.max_fraction, 0))
        else 0.0 end as max_removal_fraction,
        case when c.pollutant = 'voc' then coalesce(fp.capture_fraction, 0) end as capture_fraction,
        c.apply_control and (coalesce(fp.has_unknown_device, false) or coalesce(sp.has_unknown_device, false))
            as unknown_control,
        c.apply_control and (coalesce(fp.series_not_multiplied, false) or coalesce(sp.series_not_multiplied, false))
            as series_not_multiplied,
        c.apply_control and c.pollutant = 'voc' and coalesce(fp.unknown_capture, false) as unknown_capture
    from candidates as c
    left join paths as fp
        on fp.enterprise_id = c.enterprise_id and fp.unit_id = c.unit_id and fp.pollutant = c.pollutant
    left join paths as sp
        on sp.enterprise_id = c.enterprise_id and sp.unit_id = c.ledger_unit_id and sp.pollutant = c.pollutant
        and c.ledger_unit_id <> c.unit_id
),

fractions as (
    select
        *,
        -- share of the uncontrolled mass that is removed: VOC only what is captured is treated
        case when pollutant = 'voc' then capture_fraction * removal_fraction else removal_fraction end
            as control_fraction,
        case when pollutant = 'voc' then capture_fraction * max_removal_fraction else max_removal_fraction end
            as max_control_fraction
    from controlled
),

registry_limits as (
    select
        po.enterprise_id, po.point_id, po.reference_o2, p.pollutant, l.limit_mg_m3
    from {{ ref('int_inventory__emission_points') }} as po
    inner join {{ ref('stg_registry__outlet_limits') }} as l on l.mn = po.mn
    inner join {{ ref('inventory_pollutants') }} as p on p.pollutant_code = l.pollutant_code
),

-- units dosing ammonia (SNCR/SCR, ammonia desulfurization) with no NH3 limit of their own: the
-- ammonia-escape ceiling bounds what an NH3 factor may claim
limits as (
    select * from registry_limits
    union all
    select po.enterprise_id, po.point_id, po.reference_o2, 'nh3',
        {{ inventory_param('ammonia_escape_limit_mg_m3') }}
    from {{ ref('int_inventory__emission_points') }} as po
    inner join units as u on u.enterprise_id = po.enterprise_id and u.unit_id = po.unit_id
    where u.uses_ammonia
        and not exists (
            select 1 from registry_limits as r where r.point_id = po.point_id and r.pollutant = 'nh3'
        )
)

select
    e.enterprise_id,
    e.unit_id,
    e.ledger_unit_id,
    case when e.release = 'fugitive' then e.enterprise_id || '|' || coalesce(e.unit_id, '-') || '|fugitive'
        else e.point_id end as point_id,
    e.unit_source_kind as source_kind,
    e.period_month,
    e.category,
    e.item,
    e.activity_item,
    e.activity_quantity,
    e.activity_unit,
    e.pollutant,
    e.release,
    e.basis,
    e.ef_id,
    e.ef_status,
    e.method,
    e.factor_value,
    e.factor_form,
    e.control_tech,
    e.fuel_side_tech,
    e.capture_type,
    e.capture_fraction,
    e.removal_fraction,
    e.control_fraction,
    e.max_control_fraction,
    -- rounded to the milligram so sums are stable across runs and platforms
    {{ round_exact("e.raw_uncontrolled_kg", 6) }} as uncontrolled_kg,
    {{ round_exact("e.raw_uncontrolled_kg * (1 - e.control_fraction)", 6) }} as emissions_kg,
    -- an abated (Tier 1) factor is a typical value, not an uncontrolled mass: no floor from it
    case when e.apply_control then {{ round_exact("e.raw_uncontrolled_kg * (1 - e.max_control_fraction)", 6) }} end
        as floor_kg,
    l.limit_mg_m3,
    case when e.release = 'stack' then {% call rounded(6) %}l.limit_mg_m3 * v.dry_flue_gas_nm3_per_unit
        * (21 - v.at_o2_pct) / (21 - coalesce(l.reference_o2, v.at_o2_pct))
        * e.activity_quantity * 1e-6{% endcall %} end as limit_implied_kg,
    e.unknown_control,
    e.series_not_multiplied,
    e.unknown_capture
from fractions as e
left join limits as l on l.point_id = e.point_id and l.pollutant = e.pollutant and e.release = 'stack'
left join {{ ref('inventory_flue_gas_volumes') }} as v
    on v.activity_item = e.activity_item and v.activity_unit = e.activity_unit
