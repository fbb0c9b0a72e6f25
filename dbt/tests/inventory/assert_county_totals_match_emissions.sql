{{ config(meta={'dagster': {'ref': {'name': 'emissions_county_totals'}}}) }}
-- The county totals (and their per-method split) are the sum of marts.emissions, to the gram.
with e as (
    select year, pollutant, sum(emissions_t) as t,
        sum(emissions_t) filter (where method in ('cems', 'cems_calibrated', 'manual_test', 'mass_balance', 'factor'))
            as by_method_t
    from {{ ref('emissions') }}
    group by year, pollutant
)

select c.year, c.pollutant, c.emissions_t, e.t
from {{ ref('emissions_county_totals') }} as c
full outer join e on e.year = c.year and e.pollutant = c.pollutant
where c.year is null or e.year is null
    or abs(c.emissions_t - e.t) > 1e-6
    or abs(c.cems_t + c.cems_calibrated_t + c.manual_test_t + c.mass_balance_t + c.factor_t - e.by_method_t) > 1e-6
