-- VOC balance of each VOC unit (VOCs物料衡算): what is bought is emitted through the stack, escapes
-- uncaptured, or is destroyed or recovered. Grain: point_id × release (stack | fugitive) ×
-- period_month, for every point with VOC input or a VOC measurement.
--   input        solvent VOC = Σ purchases × VOC content (int_inventory__factor_estimates, solvent basis);
--                feedstock VOC = raw materials × VOC content (chemical processes: mostly leaves in
--                the product, so it is a ceiling, never an estimate by itself)
--   capture c    Guangdong 2023 cap of the unit's collection type; removal r the path's credited
--                efficiency (plasma, photocatalysis, UV, water spray: 0); single-use activated carbon
--                removes at most the carbon bought × activated_carbon_adsorption_ratio in the year
--                (carbon mass balance; no carbon purchases → no removal credited)
--   stack        measured (CEMS, the unit's calibrated CEMS rate, or tests × operating hours;
--                int_inventory__stack_estimates) held per unit and year inside
--                [solvent × c × (1 − r_max), solvent × c + feedstock]; else solvent × c × (1 − r)
--   fugitive     solvent × (1 − c); for feedstock units, what the capture let escape
--                (stack ÷ (1 − r) × (1 − c) ÷ c) plus equipment leaks (sealing points × leak factor
--                × operating hours, less ldar_reduction where LDAR is done)
--   ceiling      per unit and year, stack + fugitive never exceed the VOC that went in.
with points as (
    select * from {{ ref('int_inventory__emission_points') }}
),

solvent as (
    select point_id, enterprise_id, unit_id, period_month,
        sum(uncontrolled_kg) / 1000.0 as solvent_voc_t,
        {{ ordered_string_agg("ef_id", "','", "ef_id", distinct=true) }} as ef_id,
        bool_or(ef_status ilike '%unverified%') as uses_unverified_factor
    from {{ ref('int_inventory__factor_estimates') }}
    where pollutant = 'voc' and basis = 'solvent'
    group by point_id, enterprise_id, unit_id, period_month
),

feedstock as (
    select point_id, enterprise_id, unit_id, period_month,
        sum(activity_quantity * voc_content_pct / 100.0) as feedstock_voc_t
    from {{ ref('int_inventory__activity') }}
    where category = 'raw_material' and voc_content_pct is not null and activity_quantity is not null
    group by point_id, enterprise_id, unit_id, period_month
),

-- a stack test scaled by assumed hours (grade E) says less than the balance: not used
measured as (
    select point_id, period_month, method, quality_grade, emissions_t as measured_t
    from {{ ref('int_inventory__stack_estimates') }}
    where pollutant = 'voc' and quality_grade <> 'E'
),

keys as (
    select point_id, period_month from solvent
    union
    select point_id, period_month from feedstock
    union
    select point_id, period_month from measured
),

paths as (
    select * from {{ ref('int_inventory__control_paths') }} where pollutant = 'voc'
),

ledger as (
    select enterprise_id, unit_id, max(seal_points) as seal_points, bool_or(ldar_done) as ldar_done
    from {{ ref('stg_ledgers__voc_sources') }}
    group by enterprise_id, unit_id
),

base as (
    select
        k.point_id,
        p.enterprise_id,
        p.unit_id,
        k.period_month,
        year(k.period_month) as year,
        coalesce(s.solvent_voc_t, 0) as solvent_voc_t,
        coalesce(f.feedstock_voc_t, 0) as feedstock_voc_t,
        s.ef_id,
        coalesce(s.uses_unverified_factor, false) as uses_unverified_factor,
        coalesce(cp.capture_fraction, 0) as capture_fraction,
        coalesce(cp.path_fraction, 0) as removal_fraction,
        coalesce(cp.max_fraction, 0) as max_removal_fraction,
        coalesce(cp.uses_single_use_carbon, false) as uses_single_use_carbon,
        coalesce(cp.unknown_capture, false) as unknown_capture,
        coalesce(cp.has_unknown_device, false) as unknown_control,
        cp.path as control_tech,
        m.method as measured_method,
        m.quality_grade as measured_grade,
        m.measured_t,
        l.seal_points,
        l.ldar_done,
        h.operating_hours
    from keys as k
    inner join points as p on p.point_id = k.point_id
    left join solvent as s on s.point_id = k.point_id and s.period_month = k.period_month
    left join feedstock as f on f.point_id = k.point_id and f.period_month = k.period_month
    left join paths as cp on cp.enterprise_id = p.enterprise_id and cp.unit_id = p.unit_id
    left join measured as m on m.point_id = k.point_id and m.period_month = k.period_month
    left join ledger as l on l.enterprise_id = p.enterprise_id and l.unit_id = p.unit_id
    left join {{ ref('int_inventory__operating_hours') }} as h
        on h.point_id = k.point_id and h.period_month = k.period_month
),

-- single-use carbon: removal credited up to the carbon the enterprise bought in the year, shared
-- among its carbon-using units by the VOC they capture
carbon as (
    select enterprise_id, year(period_month) as year, sum(activity_quantity) as carbon_t
    from {{ ref('int_inventory__activity') }}
    where activity_item = 'activated_carbon' and activity_quantity is not null
    group by enterprise_id, year(period_month)
),

credited as (
    select
        enterprise_id, point_id, year,
        sum(solvent_voc_t * capture_fraction * removal_fraction) as credited_removal_t
    from base
    where uses_single_use_carbon
    group by enterprise_id, point_id, year
),

carbon_scale as (
    select
        cr.point_id, cr.year,
        coalesce(c.carbon_t, 0) as carbon_t,
        -- the enterprise's carbon covers this share of the removal its units claim
        coalesce(least(1.0,
            coalesce(c.carbon_t, 0) * {{ inventory_param('activated_carbon_adsorption_ratio') }}
            / nullif(sum(cr.credited_removal_t) over (partition by cr.enterprise_id, cr.year), 0)
        ), 1.0) as removal_scale
    from credited as cr
    left join carbon as c on c.enterprise_id = cr.enterprise_id and c.year = cr.year
),

with_removal as (
    select
        b.*,
        b.removal_fraction * coalesce(cs.removal_scale, 1.0) as effective_removal_fraction,
        cs.carbon_t,
        coalesce(cs.removal_scale, 1.0) < 1.0 as carbon_limited
    from base as b
    left join carbon_scale as cs on cs.point_id = b.point_id and cs.year = b.year
),

-- the measured stack figure, held per unit and year inside the balance
stack_bounds as (
    select
        point_id, year,
        sum(measured_t) as measured_year_t,
        sum(solvent_voc_t * capture_fraction * (1 - max_removal_fraction)) filter (where measured_t is not null)
            as floor_year_t,
        sum(solvent_voc_t * capture_fraction + feedstock_voc_t) filter (where measured_t is not null)
            as ceiling_year_t
    from with_removal
    group by point_id, year
),

stack as (
    select
        w.*,
        -- a unit that reports no VOC input keeps its measurement (flagged input_not_reported)
        case
            when sb.ceiling_year_t > 0 and sb.measured_year_t > sb.ceiling_year_t
                then sb.ceiling_year_t / sb.measured_year_t
            when sb.measured_year_t < sb.floor_year_t and sb.measured_year_t > 0
                then sb.floor_year_t / sb.measured_year_t
            else 1.0
        end as measured_scale,
        w.solvent_voc_t * w.capture_fraction * (1 - w.effective_removal_fraction) as mass_balance_stack_t
    from with_removal as w
    left join stack_bounds as sb on sb.point_id = w.point_id and sb.year = w.year
),

stack_valued as (
    select
        *,
        case
            when measured_t is not null then measured_t * measured_scale
            when solvent_voc_t > 0 then mass_balance_stack_t
        end as stack_t,
        case
            when measured_t is not null then measured_method
            when solvent_voc_t > 0 then 'mass_balance'
        end as stack_method,
        case
            when measured_t is not null then measured_grade
            when solvent_voc_t > 0 then 'C'
        end as stack_grade,
        measured_t is not null and measured_scale <> 1.0 as stack_held_to_balance,
        -- what the capture let escape around a feedstock unit's treatment, and its leaks
        case
            when solvent_voc_t = 0 and feedstock_voc_t > 0 and measured_t is not null
                and capture_fraction > 0 and effective_removal_fraction < 1
                then measured_t * measured_scale / (1 - effective_removal_fraction)
                    * (1 - capture_fraction) / capture_fraction
            else 0
        end as process_fugitive_t,
        coalesce(seal_points, 0) * {{ inventory_param('ldar_leak_kg_h_per_point') }}
            * coalesce(operating_hours, 0)
            * (1 - case when ldar_done then {{ inventory_param('ldar_reduction') }} else 0 end) / 1000.0
            as leak_t
    from stack
),

-- the unit's fugitive release may not push its year above the VOC that went in
fugitive_bounds as (
    select
        point_id, year,
        sum(solvent_voc_t + feedstock_voc_t) as input_year_t,
        sum(coalesce(stack_t, 0)) as stack_year_t,
        sum(solvent_voc_t * (1 - capture_fraction)) as solvent_fugitive_year_t,
        sum(process_fugitive_t + leak_t) as process_fugitive_year_t
    from stack_valued
    group by point_id, year
),

balanced as (
    select
        s.*,
        case
            when fb.process_fugitive_year_t > 0
                and fb.stack_year_t + fb.solvent_fugitive_year_t + fb.process_fugitive_year_t > fb.input_year_t
                then greatest(0, fb.input_year_t - fb.stack_year_t - fb.solvent_fugitive_year_t)
                    / fb.process_fugitive_year_t
            else 1.0
        end as fugitive_scale,
        fb.input_year_t
    from stack_valued as s
    inner join fugitive_bounds as fb on fb.point_id = s.point_id and fb.year = s.year
)

select
    b.point_id,
    b.enterprise_id,
    b.unit_id,
    'stack' as release,
    b.period_month,
    b.stack_method as method,
    b.stack_grade as quality_grade,
    {{ round_exact("b.stack_t", 9) }} as emissions_t,
    b.solvent_voc_t, b.feedstock_voc_t, b.capture_fraction, b.removal_fraction,
    b.effective_removal_fraction, b.max_removal_fraction, b.carbon_t, b.carbon_limited,
    b.measured_t, b.stack_held_to_balance as held_to_balance,
    {{ round_exact("b.mass_balance_stack_t", 9) }} as mass_balance_t,
    b.control_tech, b.ef_id, b.uses_unverified_factor, b.unknown_capture, b.unknown_control,
    b.input_year_t,
    b.input_year_t = 0 as input_not_reported
from balanced as b
where b.stack_t is not null

union all

select
    b.enterprise_id || '|' || coalesce(b.unit_id, '-') || '|fugitive',
    b.enterprise_id,
    b.unit_id,
    'fugitive',
    b.period_month,
    'mass_balance',
    case when b.solvent_voc_t > 0 then 'C' else 'E' end,
    {% call rounded(9) %}b.solvent_voc_t * (1 - b.capture_fraction)
        + (b.process_fugitive_t + b.leak_t) * b.fugitive_scale{% endcall %},
    b.solvent_voc_t, b.feedstock_voc_t, b.capture_fraction, b.removal_fraction,
    b.effective_removal_fraction, b.max_removal_fraction, b.carbon_t, b.carbon_limited,
    null, b.fugitive_scale < 1.0,
    null,
    b.control_tech, b.ef_id, b.uses_unverified_factor, b.unknown_capture, b.unknown_control,
    b.input_year_t,
    b.input_year_t = 0
from balanced as b
where b.solvent_voc_t * (1 - b.capture_fraction) + (b.process_fugitive_t + b.leak_t) * b.fugitive_scale > 0
