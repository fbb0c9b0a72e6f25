-- Factor and mass-balance estimates per activity row and pollutant, with the control path applied
-- and the limit-implied ceiling for QA. Grain: activity row × pollutant.
--   constant:             kg = activity × factor
--   per_sulfur_pct / ash: kg = activity × factor × S% (or ash %)
--   per_voc_content_pct:  kg = activity × 10 kg/t × VOC%   (solvent mass balance)
--   control (combustion): × (1 − η), η = 1 − Π(1 − η_i) for devices in series ('a+b')
--   VOC: × (1 − c × r), c and r capped by seeds
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

controls as (
    select * from {{ ref('inventory_control_efficiencies') }}
),

candidates as (
    select
        a.*,
        u.low_nox_burner,
        coalesce(a.source_kind, u.source_kind) as unit_source_kind,
        u.dust_control, u.desulfurization, u.denitrification, u.voc_control, u.capture_type,
        f.ef_id, f.pollutant, f.factor_value, f.factor_form, f.method, f.apply_control,
        f.status as ef_status
    from activity as a
    left join units as u on u.enterprise_id = a.enterprise_id and u.unit_id = a.unit_id
    inner join factors as f
        -- the solvent mass balance applies to every purchase in the solvent category
        on (f.activity_item = a.activity_item or (f.activity_item = 'solvent' and a.category = 'solvent'))
        and f.activity_unit = a.activity_unit
        and (
            f.source_kind = 'any'
            or list_contains(string_split(f.source_kind, '|'), coalesce(a.source_kind, u.source_kind))
        )
        and (f.applies_when = 'any' or (f.applies_when = 'low_nox_burner' and u.low_nox_burner))
        and (
            f.factor_form = 'constant'
            or (f.factor_form = 'per_sulfur_pct' and a.sulfur_pct is not null)
            or (f.factor_form = 'per_ash_pct' and a.ash_pct is not null)
            or (f.factor_form = 'per_voc_content_pct' and a.voc_content_pct is not null)
        )
    qualify row_number() over (
        partition by a.enterprise_id, a.unit_id, a.period_month, a.category, a.item, f.pollutant
        order by f.priority, f.ef_id
    ) = 1
),

with_control as (
    select
        row_number() over () as estimate_id,
        c.*,
        case c.factor_form
            when 'per_sulfur_pct' then c.sulfur_pct
            when 'per_ash_pct' then c.ash_pct
            when 'per_voc_content_pct' then c.voc_content_pct
            else 1
        end * c.factor_value * c.activity_quantity as raw_uncontrolled_kg,
        -- the control path acting on this pollutant; devices in series are joined by '+'
        case c.pollutant
            when 'pm' then c.dust_control
            when 'so2' then c.desulfurization
            when 'nox' then c.denitrification
            when 'voc' then c.voc_control
        end as control_tech,
        cap.capture_cap_pct
    from candidates as c
    left join {{ ref('inventory_voc_capture_caps') }} as cap on cap.capture_type = c.capture_type
),

devices as (
    select estimate_id, pollutant, unnest(string_split(control_tech, '+')) as device
    from with_control
    where control_tech is not null
),

path_efficiency as (
    -- devices in series: 1 − Π(1 − η_i); an unknown device counts 0 and is flagged
    select
        d.estimate_id,
        1 - product(1 - coalesce(ce.efficiency_pct, 0) / 100.0) as path_fraction,
        bool_or(ce.tech_code is null) as has_unknown_device
    from devices as d
    left join controls as ce on ce.tech_code = trim(d.device) and ce.pollutant = d.pollutant
    group by d.estimate_id
),

efficiency as (
    select
        w.*,
        case
            when not w.apply_control then 0.0
            -- VOC: capture × removal, both capped by the seeds
            when w.pollutant = 'voc' then coalesce(w.capture_cap_pct, 0) / 100.0 * coalesce(pe.path_fraction, 0)
            else coalesce(pe.path_fraction, 0)
        end as control_fraction,
        w.apply_control and coalesce(pe.has_unknown_device, false) as unknown_control,
        w.apply_control and w.pollutant = 'voc' and w.capture_type is not null
            and w.capture_cap_pct is null as unknown_capture
    from with_control as w
    left join path_efficiency as pe on pe.estimate_id = w.estimate_id
),

limits as (
    select
        po.enterprise_id, po.point_id, po.reference_o2, p.pollutant, l.limit_mg_m3
    from {{ ref('int_inventory__emission_points') }} as po
    inner join {{ ref('stg_registry__outlet_limits') }} as l on l.mn = po.mn
    inner join {{ ref('inventory_pollutants') }} as p on p.pollutant_code = l.pollutant_code
)

select
    e.enterprise_id,
    e.unit_id,
    e.point_id,
    e.unit_source_kind as source_kind,
    e.period_month,
    e.category,
    e.item,
    e.activity_item,
    e.activity_quantity,
    e.activity_unit,
    e.pollutant,
    e.ef_id,
    e.ef_status,
    e.method,
    e.factor_value,
    e.factor_form,
    e.control_tech,
    e.capture_type,
    e.control_fraction,
    -- rounded to the milligram so sums are stable across runs and platforms
    round(e.raw_uncontrolled_kg, 6) as uncontrolled_kg,
    round(e.raw_uncontrolled_kg * (1 - e.control_fraction), 6) as emissions_kg,
    l.limit_mg_m3,
    round(
        l.limit_mg_m3 * v.dry_flue_gas_nm3_per_unit
        * (21 - v.at_o2_pct) / (21 - coalesce(l.reference_o2, v.at_o2_pct))
        * e.activity_quantity * 1e-6, 6
    ) as limit_implied_kg,
    e.unknown_control,
    e.unknown_capture
from efficiency as e
left join limits as l on l.point_id = e.point_id and l.pollutant = e.pollutant
left join {{ ref('inventory_flue_gas_volumes') }} as v
    on v.activity_item = e.activity_item and v.activity_unit = e.activity_unit
