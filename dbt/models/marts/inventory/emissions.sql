-- marts.emissions: the resolved inventory. Grain: enterprise × emission point (unit / outlet, or the
-- unit's fugitive area) × pollutant × month. One estimate per point-pollutant-month:
--   stack SO2/NOx/PM/NH3  int_inventory__stack_estimates (CEMS → the unit's calibrated CEMS rate →
--                         manual tests × operating hours → mass balance / factor, held to balance)
--   VOC (stack, fugitive) int_inventory__voc_balance (measured stack held inside the solvent balance;
--                         uncaptured solvent, process escape and leaks as fugitive)
--   fugitive dust         handling factors (int_inventory__factor_monthly, release fugitive)
-- Each row carries its quality grade (A measured … E default factor) and its 95 % range
-- (inventory_quality_grades); tonnes are DECIMAL(18, 6), to the gram, rounded so that each
-- enterprise × pollutant × year adds up to its own total rounded once (largest remainders: the
-- rows' grams are cut and the grams left go to the rows with the largest remainders), so a
-- total held to a balance (VOC bought) is not pushed above it by rounding the months one by one.
{%- set t = 'decimal(18, 6)' %}
with stack as (
    select * from {{ ref('int_inventory__stack_estimates') }} where pollutant <> 'voc'
),

voc as (
    select * from {{ ref('int_inventory__voc_balance') }}
),

fugitive_factor as (
    select * from {{ ref('int_inventory__factor_monthly') }} where release = 'fugitive' and pollutant <> 'voc'
),

unioned as (
    select
        s.point_id, s.enterprise_id, s.pollutant, s.period_month, 'stack' as release,
        s.method, s.quality_grade, s.emissions_t, s.unbalanced_t,
        s.ef_id, s.ef_status, s.activity_quantity, s.activity_unit, s.activity_item,
        s.measured_t, s.substituted_t, s.valid_hours, s.substituted_hours, s.quarter_valid_rate,
        s.calibration_ratio, s.calibration_months, s.driver_kind,
        s.test_date, s.report_no, s.operating_hours, s.operating_hours_source,
        s.raw_factor_t as factor_estimate_t, s.limit_implied_t,
        s.sulfur_ceiling_t as balance_ceiling_t, s.floor_t as balance_floor_t,
        case when s.method = 'cems' and s.raw_factor_t > 0 then {{ round_exact("s.cems_t / s.raw_factor_t", 6) }} end
            as cems_factor_ratio,
        s.cems_t is not null and not s.cems_eligible as cems_below_threshold,
        s.method = 'cems' and coalesce(s.has_unfillable_hours, false) as cems_unfillable_hours,
        s.method in ('factor', 'mass_balance') and coalesce(s.uses_unverified_factor, false) as unverified_factor,
        s.method in ('factor', 'mass_balance') and coalesce(s.has_unknown_control, false) as unknown_control,
        false as unknown_capture,
        s.method in ('factor', 'mass_balance') and coalesce(s.series_not_multiplied, false) as series_not_multiplied,
        s.method = 'manual_test' and coalesce(s.operating_hours_assumed, false) as operating_hours_assumed,
        s.method = 'manual_test' and coalesce(s.o2_conversion_skipped, false) as o2_not_converted,
        s.held_to_balance,
        s.quality_grade = 'A' and s.above_sulfur_balance as measured_above_balance,
        s.below_balance_floor,
        s.factor_capped_at_limit and s.method in ('factor', 'mass_balance') as factor_capped_at_limit,
        false as carbon_limited,
        false as voc_input_not_reported
    from stack as s

    union all

    select
        v.point_id, v.enterprise_id, 'voc', v.period_month, v.release,
        v.method, v.quality_grade, v.emissions_t, coalesce(v.measured_t, v.emissions_t),
        v.ef_id, null, v.solvent_voc_t + v.feedstock_voc_t, 't VOC input', 'voc_input',
        null, null, null, null, null,
        null, null, null,
        null, null, null, null,
        v.mass_balance_t, null,
        case when v.release = 'stack' then v.solvent_voc_t * v.capture_fraction + v.feedstock_voc_t end,
        case when v.release = 'stack' then v.solvent_voc_t * v.capture_fraction * (1 - v.max_removal_fraction) end,
        null,
        false,
        false,
        coalesce(v.uses_unverified_factor, false),
        coalesce(v.unknown_control, false),
        coalesce(v.unknown_capture, false),
        false,
        false,
        false,
        coalesce(v.held_to_balance, false),
        false,
        false,
        false,
        coalesce(v.carbon_limited, false),
        coalesce(v.input_not_reported, false)
    from voc as v

    union all

    select
        f.point_id, f.enterprise_id, f.pollutant, f.period_month, 'fugitive',
        f.method, case when f.uses_unverified_factor then 'E' else 'D' end, f.emissions_t, f.emissions_t,
        f.ef_id, f.ef_status, f.activity_quantity, f.activity_unit, f.activity_item,
        null, null, null, null, null,
        null, null, null,
        null, null, null, null,
        f.emissions_t, null, null, null, null,
        false, false, f.uses_unverified_factor, false, false, false, false, false,
        false, false, false, false, false, false
    from fugitive_factor as f
),

-- the point's facts; a fugitive area (enterprise|unit|fugitive) takes its unit's kind
located as (
    select
        u.*,
        case when u.release = 'fugitive' then nullif(split_part(u.point_id, '|', 2), '-') else p.unit_id end
            as unit_id,
        p.outlet_id,
        p.mn,
        coalesce(p.source_kind, fu.source_kind, 'process') as source_kind,
        case when u.release = 'fugitive' then 'fugitive' else p.release_type end as release_type
    from unioned as u
    left join {{ ref('int_inventory__emission_points') }} as p on p.point_id = u.point_id
    left join {{ ref('int_inventory__units') }} as fu
        on u.release = 'fugitive' and fu.enterprise_id = u.enterprise_id
        and fu.unit_id = nullif(split_part(u.point_id, '|', 2), '-')
),

-- tonnes to the gram, exactly (DECIMAL arithmetic on both engines)
in_grams as (
    select
        *,
        floor(tonnes_exact * 1000000) as grams_cut,
        tonnes_exact * 1000000 - floor(tonnes_exact * 1000000) as grams_remainder,
        round(sum(tonnes_exact) over year_total, 6) * 1000000
            - sum(floor(tonnes_exact * 1000000)) over year_total as grams_left
    from (
        select *, cast({{ round_exact("emissions_t", 9) }} as decimal(38, 9)) as tonnes_exact
        from located
    ) as exact
    window year_total as (partition by enterprise_id, pollutant, year(period_month))
),

rounded as (
    select
        *,
        cast(
            cast(grams_cut + case when row_number() over (
                partition by enterprise_id, pollutant, year(period_month)
                order by grams_remainder desc, point_id, period_month
            ) <= grams_left then 1 else 0 end as decimal(18, 0)) * 0.000001
        as {{ t }}) as emissions_grams_t
    from in_grams
)

select
    md5(l.point_id || '|' || l.pollutant || '|' || cast(l.period_month as string)) as emission_id,
    l.enterprise_id,
    l.unit_id,
    l.outlet_id,
    l.mn,
    l.point_id,
    l.source_kind,
    l.release_type,
    l.pollutant,
    pl.pollutant_code,
    pl.label_zh as pollutant_zh,
    l.period_month,
    year(l.period_month) as year,
    quarter(l.period_month) as quarter,
    l.emissions_grams_t as emissions_t,
    l.method,
    case l.method
        when 'cems' then 1 when 'cems_calibrated' then 2 when 'manual_test' then 3
        when 'mass_balance' then 4 else 5
    end as method_rank,
    l.quality_grade,
    g.rel_low as uncertainty_rel_low,
    g.rel_high as uncertainty_rel_high,
    cast({{ round_exact("l.emissions_t * (1 - g.rel_low)", 6) }} as {{ t }}) as emissions_low_t,
    cast({{ round_exact("l.emissions_t * (1 + g.rel_high)", 6) }} as {{ t }}) as emissions_high_t,
    case when l.method in ('factor', 'mass_balance') then l.ef_id end as ef_id,
    case when l.method in ('factor', 'mass_balance') then l.ef_status end as ef_status,
    l.activity_quantity,
    l.activity_unit,
    l.activity_item,
    case when l.method = 'cems' then l.measured_t end as measured_t,
    case when l.method = 'cems' then l.substituted_t end as substituted_t,
    case when l.method = 'cems' then l.valid_hours end as cems_valid_hours,
    case when l.method = 'cems' then l.substituted_hours end as cems_substituted_hours,
    l.quarter_valid_rate as cems_quarter_valid_rate,
    case when l.method = 'cems_calibrated' then l.calibration_ratio end as calibration_ratio,
    case when l.method = 'cems_calibrated' then l.calibration_months end as calibration_months,
    case when l.method = 'cems_calibrated' then l.driver_kind end as calibration_driver,
    case when l.method = 'manual_test' then l.test_date end as manual_test_date,
    case when l.method = 'manual_test' then l.report_no end as manual_test_report_no,
    case when l.method = 'manual_test' then l.operating_hours end as manual_test_operating_hours,
    case when l.method = 'manual_test' then l.operating_hours_source end as operating_hours_source,
    l.factor_estimate_t,
    l.limit_implied_t,
    {{ round_exact("l.balance_ceiling_t", 6) }} as balance_ceiling_t,
    {{ round_exact("l.balance_floor_t", 6) }} as balance_floor_t,
    {{ round_exact("l.unbalanced_t", 6) }} as unbalanced_t,
    l.cems_factor_ratio,
    {% set items %}
        case when l.cems_factor_ratio is not null
            and (l.cems_factor_ratio < {{ inventory_param('cems_factor_ratio_low') }}
                 or l.cems_factor_ratio > {{ inventory_param('cems_factor_ratio_high') }})
            then 'cems_factor_ratio_out_of_range' end,
        case when l.factor_capped_at_limit then 'factor_capped_at_limit' end,
        case when l.cems_below_threshold then 'cems_valid_rate_below_threshold' end,
        case when l.cems_unfillable_hours then 'cems_unfillable_hours' end,
        case when l.unverified_factor then 'unverified_factor' end,
        case when l.unknown_control then 'unknown_control_tech' end,
        case when l.unknown_capture then 'unknown_capture_type' end,
        case when l.series_not_multiplied then 'series_control_not_multiplied' end,
        case when l.operating_hours_assumed then 'operating_hours_assumed' end,
        case when l.o2_not_converted then 'manual_test_o2_not_converted' end,
        case when l.held_to_balance then 'held_to_balance' end,
        case when l.measured_above_balance then 'measured_above_sulfur_balance' end,
        case when l.below_balance_floor then 'below_balance_floor' end,
        case when l.carbon_limited then 'carbon_limited_removal' end,
        case when l.voc_input_not_reported then 'voc_input_not_reported' end,
        case when l.release_type = 'unregistered' then 'release_point_unregistered' end
    {% endset %}{{ join_non_null(items, "','") }} as qa_flags
from rounded as l
left join {{ ref('inventory_pollutants') }} as pl on pl.pollutant = l.pollutant
left join {{ ref('inventory_quality_grades') }} as g on g.quality_grade = l.quality_grade
