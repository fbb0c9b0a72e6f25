-- marts.inventory_method_comparison: each point's independent estimates of the same pollutant side
-- by side (方法比对) — its CEMS, its stack tests and the factor library — over the months where both
-- sides exist, with the band each pair must fall in and, outside it, which estimate the inventory
-- used and why. Grain: point_id × pollutant × year × comparison.
--   cems_vs_factor  Σ CEMS ÷ Σ factor estimate over the CEMS calibration months; band
--                   [cems_factor_ratio_low, cems_factor_ratio_high]
--   test_vs_cems    the stack test's rate (kg/h) ÷ the CEMS mass per operating hour of the month the
--                   test was made in; band [method_band_test_low, method_band_test_high]
--   test_vs_factor  Σ test-based ÷ Σ factor estimate over months with both, at points without
--                   accepted CEMS; band [cems_factor_ratio_low, cems_factor_ratio_high]
{#- tonnes summed as decimals at the inputs' 9 places: exact, so the sum does not depend on the
    order an engine adds rows in (a double's does, and moved a half-gram total by a gram) -#}
{%- set t = 'decimal(38, 9)' %}
with cems as (
    select * from {{ ref('int_inventory__cems_monthly') }}
),

factor as (
    select point_id, pollutant, period_month, emissions_t
    from {{ ref('int_inventory__factor_monthly') }}
    where release = 'stack'
),

manual as (
    select * from {{ ref('int_inventory__manual_test_estimates') }}
),

hours as (
    select * from {{ ref('int_inventory__operating_hours') }}
),

calibration_months as (
    select c.point_id, c.pollutant, c.period_month, c.cems_t
    from cems as c
    where c.month_capture_rate >= {{ inventory_param('calibration_min_month_capture') }}
),

cems_vs_factor as (
    select
        k.point_id, k.pollutant, year(k.period_month) as year,
        'cems_vs_factor' as comparison,
        sum(cast(k.cems_t as {{ t }})) as left_t,
        sum(cast(f.emissions_t as {{ t }})) as right_t,
        count(*) as months
    from calibration_months as k
    inner join factor as f
        on f.point_id = k.point_id and f.pollutant = k.pollutant and f.period_month = k.period_month
    group by k.point_id, k.pollutant, year(k.period_month)
),

test_vs_cems as (
    -- the test month's CEMS mass per operating hour against the test's own rate
    select
        k.point_id, k.pollutant, year(k.period_month) as year,
        'test_vs_cems' as comparison,
        sum(cast(m.rate_kg_h * h.cems_hours / 1000.0 as {{ t }})) as left_t,
        sum(cast(k.cems_t as {{ t }})) as right_t,
        count(*) as months
    from calibration_months as k
    inner join manual as m
        on m.point_id = k.point_id and m.pollutant = k.pollutant and m.period_month = k.period_month
        and date_trunc('month', m.test_date_before) = k.period_month
    inner join hours as h on h.point_id = k.point_id and h.period_month = k.period_month
    where h.cems_hours > 0
    group by k.point_id, k.pollutant, year(k.period_month)
),

test_vs_factor as (
    select
        m.point_id, m.pollutant, year(m.period_month) as year,
        'test_vs_factor' as comparison,
        sum(cast(m.emissions_t as {{ t }})) as left_t,
        sum(cast(f.emissions_t as {{ t }})) as right_t,
        count(*) as months
    from manual as m
    inner join factor as f
        on f.point_id = m.point_id and f.pollutant = m.pollutant and f.period_month = m.period_month
    where not m.operating_hours_assumed
        and not exists (
            select 1 from cems as c
            where c.point_id = m.point_id and c.pollutant = m.pollutant and c.cems_eligible
        )
    group by m.point_id, m.pollutant, year(m.period_month)
),

pairs as (
    select * from cems_vs_factor
    union all select * from test_vs_cems
    union all select * from test_vs_factor
),

banded as (
    select
        p.*,
        cast(p.left_t as double) / nullif(p.right_t, 0) as ratio,
        case when p.comparison = 'test_vs_cems' then {{ inventory_param('method_band_test_low') }}
            else {{ inventory_param('cems_factor_ratio_low') }} end as band_low,
        case when p.comparison = 'test_vs_cems' then {{ inventory_param('method_band_test_high') }}
            else {{ inventory_param('cems_factor_ratio_high') }} end as band_high
    from pairs as p
    where p.right_t > 0 or p.left_t > 0
),

used as (
    select point_id, pollutant, year(period_month) as year,
        {{ ordered_string_agg("method", "','", "method", distinct=true) }} as methods_used
    from {{ ref('int_inventory__stack_estimates') }}
    group by point_id, pollutant, year(period_month)
)

select
    b.point_id,
    p.enterprise_id,
    p.unit_id,
    p.outlet_id,
    b.pollutant,
    b.year,
    b.comparison,
    b.months,
    cast({{ round_exact("b.left_t", 6, decimal=true) }} as double) as left_t,
    cast({{ round_exact("b.right_t", 6, decimal=true) }} as double) as right_t,
    {{ round_exact("b.ratio", 6) }} as ratio,
    b.band_low,
    b.band_high,
    coalesce(b.ratio between b.band_low and b.band_high, false) as within_band,
    u.methods_used,
    case when not coalesce(b.ratio between b.band_low and b.band_high, false) then
        case b.comparison
            when 'cems_vs_factor' then 'CEMS reads ' || coalesce(cast({{ round_exact("b.ratio", 2) }} as string), 'n/a')
                || ' × the factor estimate: the unit''s own CEMS rate outranks the factor'
            when 'test_vs_cems' then 'the stack test reads ' || coalesce(cast({{ round_exact("b.ratio", 2) }} as string), 'n/a')
                || ' × the CEMS of its month: CEMS outranks the test'
            else 'the stack tests read ' || coalesce(cast({{ round_exact("b.ratio", 2) }} as string), 'n/a')
                || ' × the factor estimate: the unit''s own tests outrank the factor'
        end || '; methods used: ' || coalesce(u.methods_used, 'none')
    end as explanation
from banded as b
inner join {{ ref('int_inventory__emission_points') }} as p on p.point_id = b.point_id
left join used as u on u.point_id = b.point_id and u.pollutant = b.pollutant and u.year = b.year
