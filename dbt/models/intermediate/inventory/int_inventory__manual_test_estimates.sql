-- Manual stack-test estimates (手工监测) per emission point, pollutant and month.
-- Grain: point_id × pollutant × period_month.
-- Tests count backward and forward: a month takes the nearest test dated on or before its end and
-- the nearest dated after it (each within manual_test_lookback_days of the month), and averages
-- their mass rates; with one side only, that test.
--   measured mg/m³ = converted × (21 − O2_test) / (21 − O2_ref)   (back from the reference O2)
--   rate kg/h      = measured mg/m³ × flow m³/h × 1e-6
--   kg             = rate × operating hours of the month (int_inventory__operating_hours: CEMS
--                    operating state where it exists, else activity ÷ capacity, …), never the
--                    month's calendar hours by default
-- NMHC (a24088) is measured as carbon: × nmhc_c_to_voc_mass to VOC mass.
with tests as (
    select
        po.point_id,
        t.enterprise_id,
        t.outlet_id,
        p.pollutant,
        t.pollutant_code,
        cast(t.test_date as date) as test_date,
        t.converted_mg_m3,
        t.flow_m3_h,
        t.o2_pct,
        t.report_no,
        po.reference_o2,
        case
            when t.o2_pct is not null and po.reference_o2 is not null and t.o2_pct < 21
                then t.converted_mg_m3 * (21 - t.o2_pct) / (21 - po.reference_o2)
            else t.converted_mg_m3
        end * case when p.pollutant = 'voc' then {{ inventory_param('nmhc_c_to_voc_mass') }} else 1 end
            as measured_mg_m3,
        po.reference_o2 is not null and t.o2_pct is null as o2_conversion_skipped
    from {{ ref('stg_manual_tests__stack_tests') }} as t
    inner join {{ ref('int_inventory__point_outlets') }} as po
        on po.enterprise_id = t.enterprise_id and po.outlet_id = t.outlet_id
    inner join {{ ref('inventory_pollutants') }} as p on p.pollutant_code = t.pollutant_code
    where t.flow_m3_h is not null and po.point_id is not null
),

-- a point with several outlets tested on the same day: their rates add up
test_rates as (
    select
        point_id, pollutant, test_date,
        any_value(enterprise_id) as enterprise_id,
        {{ ordered_string_agg("outlet_id", "','", "outlet_id", distinct=true) }} as outlet_id,
        {{ ordered_string_agg("report_no", "','", "report_no", distinct=true) }} as report_no,
        sum(measured_mg_m3 * flow_m3_h * 1e-6) as rate_kg_h,
        avg(measured_mg_m3) as measured_mg_m3,
        sum(flow_m3_h) as flow_m3_h,
        bool_or(o2_conversion_skipped) as o2_conversion_skipped
    from tests
    group by point_id, pollutant, test_date
),

hours as (
    select * from {{ ref('int_inventory__operating_hours') }}
),

point_months as (
    select distinct t.point_id, t.pollutant, h.period_month, h.operating_hours,
        h.operating_hours_source
    from test_rates as t
    inner join hours as h on h.point_id = t.point_id
),

before as (
    select pm.point_id, pm.pollutant, pm.period_month, t.test_date, t.rate_kg_h, t.report_no,
        t.measured_mg_m3, t.flow_m3_h, t.o2_conversion_skipped
    from point_months as pm
    inner join test_rates as t
        on t.point_id = pm.point_id and t.pollutant = pm.pollutant
        and t.test_date <= last_day(pm.period_month)
        and t.test_date > last_day(pm.period_month)
            - cast({{ inventory_param('manual_test_lookback_days') }} as integer)
    qualify row_number() over (
        partition by pm.point_id, pm.pollutant, pm.period_month order by t.test_date desc
    ) = 1
),

after as (
    select pm.point_id, pm.pollutant, pm.period_month, t.test_date, t.rate_kg_h, t.report_no,
        t.measured_mg_m3, t.flow_m3_h, t.o2_conversion_skipped
    from point_months as pm
    inner join test_rates as t
        on t.point_id = pm.point_id and t.pollutant = pm.pollutant
        and t.test_date > last_day(pm.period_month)
        and t.test_date <= pm.period_month
            + cast({{ inventory_param('manual_test_lookback_days') }} as integer)
    qualify row_number() over (
        partition by pm.point_id, pm.pollutant, pm.period_month order by t.test_date
    ) = 1
),

combined as (
    select
        pm.point_id,
        pm.pollutant,
        pm.period_month,
        pm.operating_hours,
        pm.operating_hours_source,
        (coalesce(b.rate_kg_h, a.rate_kg_h) + coalesce(a.rate_kg_h, b.rate_kg_h)) / 2 as rate_kg_h,
        (coalesce(b.measured_mg_m3, a.measured_mg_m3) + coalesce(a.measured_mg_m3, b.measured_mg_m3)) / 2
            as measured_mg_m3,
        b.test_date as test_date_before,
        a.test_date as test_date_after,
        concat_ws(',', b.report_no, a.report_no) as report_no,
        coalesce(b.o2_conversion_skipped, false) or coalesce(a.o2_conversion_skipped, false)
            as o2_conversion_skipped
    from point_months as pm
    left join before as b
        on b.point_id = pm.point_id and b.pollutant = pm.pollutant and b.period_month = pm.period_month
    left join after as a
        on a.point_id = pm.point_id and a.pollutant = pm.pollutant and a.period_month = pm.period_month
    where b.point_id is not null or a.point_id is not null
)

select
    c.point_id,
    p.enterprise_id,
    p.outlet_id,
    c.pollutant,
    c.period_month,
    coalesce(c.test_date_before, c.test_date_after) as test_date,
    c.test_date_before,
    c.test_date_after,
    c.report_no,
    {{ round_exact("c.measured_mg_m3", 6) }} as measured_mg_m3,
    {{ round_exact("c.rate_kg_h", 9) }} as rate_kg_h,
    c.operating_hours,
    c.operating_hours_source,
    {{ round_exact("c.rate_kg_h * c.operating_hours / 1000.0", 9) }} as emissions_t,
    c.operating_hours_source = 'assumed' as operating_hours_assumed,
    c.o2_conversion_skipped
from combined as c
inner join {{ ref('int_inventory__emission_points') }} as p on p.point_id = c.point_id
