-- One estimate per emission point, pollutant and month for what leaves the stack (有组织), chosen
-- from the candidates in order and checked against the balance. Grain: point_id × pollutant ×
-- period_month. Candidates, first that exists:
--   cems             the month's CEMS mass, when the calendar quarter's capture rate reaches
--                    method_cems_min_quarter_valid_rate (grade A)
--   cems_calibrated  the unit's own CEMS rate carried to this month (int_inventory__calibrated_rates,
--                    grade B)
--   manual_test      stack tests × operating hours (grade C); a test whose hours are only assumed
--                    ranks after a mass balance or factor
--   mass_balance / factor  activity × factor × control path (C for a balance, D for a sourced
--                    factor with the unit's own parameters, E for an unverified default), never above
--                    the limit-implied mass where the outlet has a limit
--   cems_below_threshold   CEMS of a quarter under the threshold, when nothing else exists (C)
-- Balance: estimates other than grade A are held inside [floor_t, sulfur_ceiling_t] where the
-- factor layer knows them (SO2: the sulfur that went in, and what the best plausible devices would
-- leave); grade A is never altered, only flagged. VOC is balanced per unit in
-- int_inventory__voc_balance.
with cems as (
    select * from {{ ref('int_inventory__cems_monthly') }}
),

calibrated as (
    select * from {{ ref('int_inventory__calibrated_rates') }}
),

manual as (
    select * from {{ ref('int_inventory__manual_test_estimates') }}
),

-- VOC's balance estimate (stack and fugitive apart) is int_inventory__voc_balance's
factor as (
    select * from {{ ref('int_inventory__factor_monthly') }} where release = 'stack' and pollutant <> 'voc'
),

points as (
    select * from {{ ref('int_inventory__emission_points') }}
),

keys as (
    select point_id, pollutant, period_month from cems
    union
    select point_id, pollutant, period_month from calibrated
    union
    select point_id, pollutant, period_month from manual
    union
    select point_id, pollutant, period_month from factor
),

joined as (
    select
        k.point_id,
        p.enterprise_id,
        k.pollutant,
        k.period_month,
        c.cems_t, c.measured_t, c.substituted_t, c.valid_hours, c.substituted_hours,
        c.quarter_valid_rate, c.month_capture_rate, coalesce(c.cems_eligible, false) as cems_eligible,
        c.has_unfillable_hours, c.mns,
        cr.calibrated_t, cr.calibration_ratio, cr.calibration_months, cr.driver_kind, cr.driver,
        cr.calibration_first_month, cr.calibration_last_month,
        m.emissions_t as manual_t, m.test_date, m.test_date_before, m.test_date_after, m.report_no,
        m.measured_mg_m3, m.rate_kg_h, m.operating_hours, m.operating_hours_source,
        m.operating_hours_assumed, m.o2_conversion_skipped,
        f.emissions_t as raw_factor_t, f.method as factor_method, f.ef_id, f.ef_status,
        f.uses_unverified_factor, f.activity_quantity, f.activity_unit, f.activity_item,
        f.uncontrolled_t, f.floor_t, f.sulfur_ceiling_t, f.limit_implied_t,
        f.has_unknown_control, f.series_not_multiplied, f.has_unknown_capture
    from keys as k
    inner join points as p on p.point_id = k.point_id
    left join cems as c
        on c.point_id = k.point_id and c.pollutant = k.pollutant and c.period_month = k.period_month
    left join calibrated as cr
        on cr.point_id = k.point_id and cr.pollutant = k.pollutant and cr.period_month = k.period_month
    left join manual as m
        on m.point_id = k.point_id and m.pollutant = k.pollutant and m.period_month = k.period_month
    left join factor as f
        on f.point_id = k.point_id and f.pollutant = k.pollutant and f.period_month = k.period_month
),

candidates as (
    select
        *,
        -- a factor never exceeds what the permit limit allows through the unit's flue gas
        case when raw_factor_t > limit_implied_t then limit_implied_t else raw_factor_t end as factor_t,
        coalesce(raw_factor_t > limit_implied_t, false) as factor_capped_at_limit
    from joined
),

chosen as (
    select
        *,
        case
            when cems_eligible then 'cems'
            when calibrated_t is not null then 'cems_calibrated'
            when manual_t is not null and not operating_hours_assumed then 'manual_test'
            when factor_t is not null then factor_method
            when manual_t is not null then 'manual_test'
            when cems_t is not null then 'cems'
        end as method
    from candidates
),

valued as (
    select
        *,
        case method
            when 'cems' then cems_t
            when 'cems_calibrated' then calibrated_t
            when 'manual_test' then manual_t
            else factor_t
        end as unbalanced_t,
        case
            when method = 'cems' and cems_eligible then 'A'
            when method = 'cems_calibrated' then 'B'
            when method = 'manual_test' and not operating_hours_assumed then 'C'
            when method = 'mass_balance' then 'C'
            when method = 'cems' then 'C'
            when method = 'factor' and factor_capped_at_limit then 'D'
            when method = 'factor' and not uses_unverified_factor then 'D'
            else 'E'
        end as quality_grade
    from chosen
    where method is not null
)

select
    v.point_id,
    v.enterprise_id,
    v.pollutant,
    v.period_month,
    v.method,
    v.quality_grade,
    -- the balance: grades below A stay inside [floor, ceiling] where both are known
    {% call rounded(9) %}case
        when v.quality_grade = 'A' or v.pollutant = 'voc' then v.unbalanced_t
        when v.unbalanced_t > v.sulfur_ceiling_t then v.sulfur_ceiling_t
        when v.method = 'manual_test' and v.unbalanced_t < v.floor_t then v.floor_t
        else v.unbalanced_t
    end{% endcall %} as emissions_t,
    v.unbalanced_t,
    v.pollutant <> 'voc' and v.quality_grade <> 'A' and (
        coalesce(v.unbalanced_t > v.sulfur_ceiling_t, false)
        or (v.method = 'manual_test' and coalesce(v.unbalanced_t < v.floor_t, false))
    ) as held_to_balance,
    coalesce(v.unbalanced_t > v.sulfur_ceiling_t, false) as above_sulfur_balance,
    coalesce(v.unbalanced_t < v.floor_t, false) and v.method <> 'mass_balance' and v.method <> 'factor'
        as below_balance_floor,
    v.cems_t, v.measured_t, v.substituted_t, v.valid_hours, v.substituted_hours,
    v.quarter_valid_rate, v.month_capture_rate, v.cems_eligible, v.has_unfillable_hours, v.mns,
    v.calibrated_t, v.calibration_ratio, v.calibration_months, v.driver_kind, v.driver,
    v.calibration_first_month, v.calibration_last_month,
    v.manual_t, v.test_date, v.test_date_before, v.test_date_after, v.report_no, v.measured_mg_m3,
    v.rate_kg_h, v.operating_hours, v.operating_hours_source, v.operating_hours_assumed,
    v.o2_conversion_skipped,
    v.factor_t, v.raw_factor_t, v.factor_method, v.ef_id, v.ef_status, v.uses_unverified_factor,
    v.activity_quantity, v.activity_unit, v.activity_item, v.uncontrolled_t, v.floor_t,
    v.sulfur_ceiling_t, v.limit_implied_t, v.factor_capped_at_limit,
    v.has_unknown_control, v.series_not_multiplied, v.has_unknown_capture
from valued as v
