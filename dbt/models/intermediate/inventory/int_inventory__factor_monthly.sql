-- Factor / mass-balance estimates summed per emission point, pollutant and month.
-- Grain: point_id × pollutant × period_month.
select
    point_id,
    any_value(enterprise_id) as enterprise_id,
    any_value(unit_id) as unit_id,
    pollutant,
    period_month,
    -- mass balance only when every contributing row is a balance; otherwise a factor estimate
    case when bool_and(method = 'mass_balance') then 'mass_balance' else 'factor' end as method,
    string_agg(distinct ef_id, ',' order by ef_id) as ef_id,
    string_agg(distinct ef_status, '; ' order by ef_status) as ef_status,
    bool_or(ef_status ilike '%unverified%') as uses_unverified_factor,
    round(sum(emissions_kg) / 1000.0, 9) as emissions_t,
    round(sum(uncontrolled_kg) / 1000.0, 9) as uncontrolled_t,
    -- a quantity is only meaningful when all rows share one unit
    case when count(distinct activity_unit) = 1 then sum(activity_quantity) end as activity_quantity,
    string_agg(distinct activity_unit, ',' order by activity_unit) as activity_unit,
    string_agg(distinct activity_item, ',' order by activity_item) as activity_item,
    -- the ceiling is known only when every row has a limit and a flue-gas volume
    case when count(*) = count(limit_implied_kg) then round(sum(limit_implied_kg) / 1000.0, 9) end as limit_implied_t,
    bool_or(unknown_control) as has_unknown_control,
    bool_or(unknown_capture) as has_unknown_capture
from {{ ref('int_inventory__factor_estimates') }}
group by point_id, pollutant, period_month
