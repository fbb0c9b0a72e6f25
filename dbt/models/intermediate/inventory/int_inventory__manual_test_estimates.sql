-- Manual stack-test estimates (手工监测) per emission point, pollutant and month.
-- Grain: point_id × pollutant × period_month.
-- The test that counts for a month is the latest one dated on or before the month end within the
-- look-back (inventory_parameters.manual_test_lookback_days).
--   measured mg/m³ = converted × (21 − O2_test) / (21 − O2_ref)   (back from the reference O2)
--   kg = measured mg/m³ × flow m³/h × operating hours × 1e-6
-- Operating hours: the whole month when the point has activity that month (or, for a point with no
-- activity of its own such as a process dust outlet, when its enterprise has); 0 when the activity
-- is zero; when neither the point nor its enterprise reports activity, the whole month, flagged
-- operating_hours_assumed.
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
        po.reference_o2
    from {{ ref('stg_manual_tests__stack_tests') }} as t
    inner join {{ ref('int_inventory__point_outlets') }} as po
        on po.enterprise_id = t.enterprise_id and po.outlet_id = t.outlet_id
    inner join {{ ref('inventory_pollutants') }} as p on p.pollutant_code = t.pollutant_code
),

activity_months as (
    select point_id, period_month, sum(activity_quantity) as activity_quantity
    from {{ ref('int_inventory__activity') }}
    group by point_id, period_month
),

points_with_activity as (
    select distinct point_id from activity_months
),

enterprise_months as (
    select enterprise_id, period_month, sum(activity_quantity) as activity_quantity
    from {{ ref('int_inventory__activity') }}
    group by enterprise_id, period_month
),

enterprises_with_activity as (
    select distinct enterprise_id from enterprise_months
),

-- the inventory calendar: every month that has any activity or CEMS data
calendar as (
    select distinct period_month from {{ ref('int_inventory__activity') }}
    union
    select distinct period_month from {{ ref('int_inventory__cems_monthly') }}
),

point_months as (
    select distinct t.point_id, t.pollutant, c.period_month
    from tests as t
    cross join calendar as c
),

chosen as (
    select
        pm.point_id,
        pm.pollutant,
        pm.period_month,
        t.enterprise_id,
        t.outlet_id,
        t.test_date,
        t.converted_mg_m3,
        t.flow_m3_h,
        t.o2_pct,
        t.reference_o2,
        t.report_no
    from point_months as pm
    inner join tests as t
        on t.point_id = pm.point_id
        and t.pollutant = pm.pollutant
        and t.test_date <= last_day(pm.period_month)
        and t.test_date > last_day(pm.period_month) - cast({{ inventory_param('manual_test_lookback_days') }} as integer)
    qualify row_number() over (
        partition by pm.point_id, pm.pollutant, pm.period_month order by t.test_date desc, t.report_no
    ) = 1
),

measured as (
    select
        c.*,
        case
            when c.o2_pct is not null and c.reference_o2 is not null and c.o2_pct < 21
                then round(c.converted_mg_m3 * (21 - c.o2_pct) / (21 - c.reference_o2), 6)
            else c.converted_mg_m3
        end as measured_mg_m3,
        -- only a problem where the outlet has a reference O2 to convert from
        c.reference_o2 is not null and c.o2_pct is null as o2_conversion_skipped,
        date_diff('day', c.period_month, last_day(c.period_month) + 1) * 24 as month_hours
    from chosen as c
),

hours as (
    select
        m.*,
        case
            when pwa.point_id is not null then
                case when a.activity_quantity > 0 then m.month_hours else 0 end
            when ewa.enterprise_id is not null then
                case when ea.activity_quantity > 0 then m.month_hours else 0 end
            else m.month_hours
        end as operating_hours,
        pwa.point_id is null and ewa.enterprise_id is null as operating_hours_assumed
    from measured as m
    left join activity_months as a on a.point_id = m.point_id and a.period_month = m.period_month
    left join points_with_activity as pwa on pwa.point_id = m.point_id
    left join enterprise_months as ea on ea.enterprise_id = m.enterprise_id and ea.period_month = m.period_month
    left join enterprises_with_activity as ewa on ewa.enterprise_id = m.enterprise_id
)

select
    point_id,
    enterprise_id,
    outlet_id,
    pollutant,
    period_month,
    test_date,
    report_no,
    converted_mg_m3,
    o2_pct,
    reference_o2,
    measured_mg_m3,
    flow_m3_h,
    operating_hours,
    round(measured_mg_m3 * flow_m3_h * operating_hours * 1e-9, 9) as emissions_t,
    operating_hours_assumed,
    o2_conversion_skipped
from hours
where flow_m3_h is not null
