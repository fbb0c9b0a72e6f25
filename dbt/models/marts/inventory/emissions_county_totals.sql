-- marts.emissions_county_totals: the county's emissions per year and pollutant (全市排放总量), with the
-- 95 % range (inventory_uncertainty_totals: rows of one point, pollutant and method correlated,
-- points independent) and how much of each total rests on each method, quality grade and release.
-- Grain: year × pollutant.
with totals as (
    {{ inventory_uncertainty_totals(['year', 'pollutant']) }}
),

shares as (
    select
        year,
        pollutant,
        sum(emissions_t) filter (where method = 'cems') as cems_t,
        sum(emissions_t) filter (where method = 'cems_calibrated') as cems_calibrated_t,
        sum(emissions_t) filter (where method = 'manual_test') as manual_test_t,
        sum(emissions_t) filter (where method = 'mass_balance') as mass_balance_t,
        sum(emissions_t) filter (where method = 'factor') as factor_t,
        sum(emissions_t) filter (where quality_grade in ('A', 'B')) as grade_ab_t,
        sum(emissions_t) filter (where quality_grade = 'C') as grade_c_t,
        sum(emissions_t) filter (where quality_grade in ('D', 'E')) as grade_de_t,
        sum(emissions_t) filter (where release_type = 'fugitive') as fugitive_t,
        count(distinct enterprise_id) as enterprises,
        count(*) as emission_rows
    from {{ ref('emissions') }}
    group by year, pollutant
)

select
    t.year,
    t.pollutant,
    p.label_zh as pollutant_zh,
    t.emissions_t,
    t.emissions_low_t,
    t.emissions_high_t,
    {{ round_exact("cast(t.emissions_t - t.emissions_low_t as double) / nullif(t.emissions_t, 0)", 4) }} as rel_low,
    {{ round_exact("cast(t.emissions_high_t - t.emissions_t as double) / nullif(t.emissions_t, 0)", 4) }} as rel_high,
    coalesce(s.cems_t, 0) as cems_t,
    coalesce(s.cems_calibrated_t, 0) as cems_calibrated_t,
    coalesce(s.manual_test_t, 0) as manual_test_t,
    coalesce(s.mass_balance_t, 0) as mass_balance_t,
    coalesce(s.factor_t, 0) as factor_t,
    coalesce(s.grade_ab_t, 0) as grade_ab_t,
    coalesce(s.grade_c_t, 0) as grade_c_t,
    coalesce(s.grade_de_t, 0) as grade_de_t,
    coalesce(s.fugitive_t, 0) as fugitive_t,
    s.enterprises,
    s.emission_rows
from totals as t
inner join shares as s on s.year = t.year and s.pollutant = t.pollutant
left join {{ ref('inventory_pollutants') }} as p on p.pollutant = t.pollutant
