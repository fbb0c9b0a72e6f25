-- marts.cems_monthly: one row per mn × pollutant_code × month (first day). A month is valid with
-- ≥ var('valid_month_min_days') valid days (February: var('valid_february_min_days')); means use
-- valid days only. Masses sum cems_daily: measured, substituted and total kept apart.
with days as (
    select * from {{ ref('cems_daily') }}
),

months as (
    select
        mn,
        pollutant_code,
        cast(date_trunc('month', day) as date) as month_start,
        any_value(enterprise_id) as enterprise_id,
        any_value(outlet_id) as outlet_id,
        count(*) as covered_days,
        count(*) filter (where is_valid) as valid_days,
        sum(valid_hours) as valid_hours,
        sum(source_stopped_hours) as source_stopped_hours,
        sum(invalid_hours) as invalid_hours,
        sum(missing_hours) as missing_hours,
        {{ exact_avg('avg_measured', where='is_valid') }} as avg_measured,
        {{ exact_avg('avg_converted', where='is_valid') }} as avg_converted,
        sum(over_limit_hours) as over_limit_hours,
        {{ exact_sum('measured_mass_kg') }} as measured_mass_kg,
        {{ exact_sum('substituted_mass_kg') }} as substituted_mass_kg,
        {{ exact_sum('invalid_mass_kg') }} as invalid_mass_kg,
        {{ exact_sum('total_mass_kg') }} as total_mass_kg,
        sum(unfilled_hours) as unfilled_hours
    from days
    group by mn, pollutant_code, cast(date_trunc('month', day) as date)
)

select
    *,
    valid_days >= case
        when month(month_start) = 2 then {{ var('valid_february_min_days') }}
        else {{ var('valid_month_min_days') }}
    end as is_valid,
    measured_mass_kg / 1000.0 as measured_t,
    substituted_mass_kg / 1000.0 as substituted_t,
    total_mass_kg / 1000.0 as total_t
from months
