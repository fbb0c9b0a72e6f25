{{ config(meta={'dagster': {'ref': {'name': 'cems_monthly'}}}) }}
-- The monthly CEMS totals are the sums of the hourly measured and substituted mass: nothing is
-- dropped or double-counted between cems_hourly_substituted, cems_daily and cems_monthly.
with hourly as (
    select
        mn, pollutant_code,
        cast(date_trunc('month', hour_start) as date) as month_start,
        coalesce(sum(measured_mass_kg), 0) as measured_mass_kg,
        coalesce(sum(substituted_mass_kg), 0) as substituted_mass_kg
    from {{ ref('cems_hourly_substituted') }}
    group by all
)

select h.*, m.measured_mass_kg as monthly_measured_kg, m.substituted_mass_kg as monthly_substituted_kg
from hourly as h
full outer join {{ ref('cems_monthly') }} as m
    using (mn, pollutant_code, month_start)
where m.mn is null
    or h.mn is null
    or abs(h.measured_mass_kg - m.measured_mass_kg) > 1e-6
    or abs(h.substituted_mass_kg - m.substituted_mass_kg) > 1e-6
