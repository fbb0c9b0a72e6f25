-- Operating hours (运行时间) per emission point and month, the clock that scales a manual stack test
-- (kg/h) to a month. Grain: point_id × period_month over the inventory calendar
-- (int_inventory__calendar). Sources, first that exists:
--   cems                 hours the point's CEMS shows the source operating (flow and O2, not flags),
--                        scaled up to the month when the device reported at least
--                        operating_hours_min_cems_coverage of its hours
--   activity_calibrated  the activity-based hours below × the unit's own ratio of CEMS hours to
--                        activity-based hours in its CEMS months (its load factor)
--   activity_capacity    activity ÷ rated hourly capacity: boiler fuel ÷ (t/h × fuel per t steam),
--                        kiln product ÷ (annual design capacity ÷ design hours), unit-less outlets and
--                        VOC lines: the enterprise's product ÷ its registry capacity
--   not_in_activity_report  the enterprise reports activity, but never for this unit (a standby
--                        boiler): 0 h — its tests are not extrapolated
--   no_activity          the point's activity is reported and zero that month: 0 h
--   assumed              activity but no capacity to scale by, or an enterprise that reports no
--                        activity at all: every hour of the month (flagged)
-- All are capped at the month's hours.
with points as (
    select * from {{ ref('int_inventory__emission_points') }}
),

units as (
    select * from {{ ref('int_inventory__units') }}
),

activity as (
    select * from {{ ref('int_inventory__activity') }}
),

point_months as (
    select p.point_id, p.enterprise_id, p.unit_id, c.period_month,
        {{ units_between("hour", "cast(c.period_month as timestamp)", "cast(c.period_month + interval 1 month as timestamp)") }}
            as month_hours
    from points as p
    cross join {{ ref('int_inventory__calendar') }} as c
),

-- device hours with data and operating hours per MN and month (any pollutant row: one device clock)
device_hours as (
    select
        mn, date_trunc('month', hour_start) as period_month, hour_start,
        bool_or(coalesce(is_operating, false)) as operating
    from {{ ref('cems_hourly') }}
    group by mn, date_trunc('month', hour_start), hour_start
),

device_months as (
    select mn, cast(period_month as date) as period_month,
        count(*) as hours_with_data,
        count(*) filter (where operating) as operating_hours
    from device_hours
    group by mn, period_month
),

cems_hours as (
    -- a point with several devices: the device that saw it running longest
    select po.point_id, dm.period_month,
        max(dm.hours_with_data) as hours_with_data,
        max(dm.operating_hours) as operating_hours
    from {{ ref('int_inventory__point_outlets') }} as po
    inner join device_months as dm on dm.mn = po.mn
    group by po.point_id, dm.period_month
),

-- boilers: steam-equivalent of the month's fuels
boiler_steam as (
    select a.point_id, a.period_month, sum(a.activity_quantity / r.per_t_steam) as steam_t
    from activity as a
    inner join {{ ref('inventory_boiler_fuel_rates') }} as r
        on r.fuel_item = a.activity_item and r.activity_unit = a.activity_unit
    where a.category = 'fuel' and a.source_kind = 'boiler'
    group by a.point_id, a.period_month
),

-- kilns: product in the unit of the ledger's design capacity
kiln_product as (
    select a.point_id, a.period_month, sum(a.activity_quantity) as product_quantity
    from activity as a
    inner join units as u on u.enterprise_id = a.enterprise_id and u.unit_id = a.unit_id
    where a.category = 'product' and a.activity_unit = u.capacity_activity_unit
    group by a.point_id, a.period_month
),

-- enterprises: products in the registry's capacity unit
enterprise_capacity as (
    select e.enterprise_id,
        e.eia_capacity * cu.multiplier / {{ inventory_param('design_hours_per_year') }} as per_hour,
        cu.activity_unit
    from {{ ref('stg_registry__enterprises') }} as e
    inner join {{ ref('inventory_activity_units') }} as cu
        on lower(cu.raw_unit) = {{ inventory_code('e.capacity_unit') }}
    where e.eia_capacity > 0
),

-- all of the enterprise's products (for an outlet without a ledger unit) or only those reported
-- without a unit (for a ledger unit that reports nothing of its own)
enterprise_product as (
    select a.enterprise_id, a.period_month,
        sum(a.activity_quantity) as product_quantity,
        sum(a.activity_quantity) filter (where a.unit_id is null) as unitless_product_quantity
    from activity as a
    inner join enterprise_capacity as ec
        on ec.enterprise_id = a.enterprise_id and ec.activity_unit = a.activity_unit
    where a.category = 'product'
    group by a.enterprise_id, a.period_month
),

point_activity as (
    select point_id, period_month, sum(activity_quantity) as activity_quantity
    from activity
    group by point_id, period_month
),

points_with_activity as (
    select distinct point_id from activity
),

enterprise_activity as (
    select enterprise_id, period_month,
        sum(activity_quantity) as activity_quantity,
        sum(activity_quantity) filter (where unit_id is null) as unitless_activity_quantity
    from activity
    group by enterprise_id, period_month
),

enterprises_with_activity as (
    select enterprise_id, bool_or(unit_id is null) as reports_without_unit
    from activity
    group by enterprise_id
),

activity_hours as (
    select
        pm.*,
        ch.hours_with_data,
        ch.operating_hours as cems_operating_hours,
        coalesce(
            bs.steam_t / nullif(u.capacity_t_h, 0),
            kp.product_quantity / nullif(u.capacity_per_hour, 0),
            case when pm.unit_id is null then ep.product_quantity else ep.unitless_product_quantity end
                / nullif(ec.per_hour, 0)
        ) as raw_capacity_hours,
        -- the point's own activity; else, for an outlet without a ledger unit, its enterprise's;
        -- else what the enterprise reports without naming a unit (never another unit's); a unit the
        -- enterprise's activity report leaves out did not run; an enterprise that reports no
        -- activity at all leaves it unknown (null)
        case
            when pwa.point_id is not null then coalesce(pa.activity_quantity, 0) > 0
            when pm.unit_id is null and ewa.enterprise_id is not null
                then coalesce(ea.activity_quantity, 0) > 0
            when ewa.reports_without_unit then coalesce(ea.unitless_activity_quantity, 0) > 0
            when ewa.enterprise_id is not null then false
        end as has_activity,
        pwa.point_id is null and pm.unit_id is not null and ewa.enterprise_id is not null
            and not ewa.reports_without_unit as left_out_of_activity_report
    from point_months as pm
    left join cems_hours as ch on ch.point_id = pm.point_id and ch.period_month = pm.period_month
    left join units as u on u.enterprise_id = pm.enterprise_id and u.unit_id = pm.unit_id
    left join boiler_steam as bs on bs.point_id = pm.point_id and bs.period_month = pm.period_month
    left join kiln_product as kp on kp.point_id = pm.point_id and kp.period_month = pm.period_month
    left join enterprise_capacity as ec on ec.enterprise_id = pm.enterprise_id
    left join enterprise_product as ep
        on ep.enterprise_id = pm.enterprise_id and ep.period_month = pm.period_month
    left join point_activity as pa on pa.point_id = pm.point_id and pa.period_month = pm.period_month
    left join points_with_activity as pwa on pwa.point_id = pm.point_id
    left join enterprise_activity as ea
        on ea.enterprise_id = pm.enterprise_id and ea.period_month = pm.period_month
    left join enterprises_with_activity as ewa on ewa.enterprise_id = pm.enterprise_id
),

with_cems as (
    select
        *,
        -- DuckDB's least() skips nulls: without the guard a missing capacity would read as a full month
        case when raw_capacity_hours is not null then least(month_hours, raw_capacity_hours) end
            as capacity_hours,
        case when hours_with_data >= {{ inventory_param('operating_hours_min_cems_coverage') }} * month_hours
            then least(month_hours, cems_operating_hours * month_hours / hours_with_data)
        end as cems_hours
    from activity_hours
),

-- the unit's load factor: CEMS hours over capacity-based hours in the months that have both
load_factor as (
    select point_id, sum(cems_hours) / nullif(sum(capacity_hours), 0) as hours_ratio
    from with_cems
    where cems_hours is not null and capacity_hours > 0
    group by point_id
)

select
    w.point_id,
    w.enterprise_id,
    w.unit_id,
    w.period_month,
    w.month_hours,
    w.cems_hours,
    w.capacity_hours,
    lf.hours_ratio,
    {% call rounded(3) %}case
        when w.cems_hours is not null then w.cems_hours
        when w.capacity_hours is not null and lf.hours_ratio is not null
            then least(w.month_hours, w.capacity_hours * lf.hours_ratio)
        when w.capacity_hours is not null then w.capacity_hours
        when w.has_activity = false then 0
        else w.month_hours
    end{% endcall %} as operating_hours,
    case
        when w.cems_hours is not null then 'cems'
        when w.capacity_hours is not null and lf.hours_ratio is not null then 'activity_calibrated'
        when w.capacity_hours is not null then 'activity_capacity'
        when w.left_out_of_activity_report then 'not_in_activity_report'
        when w.has_activity = false then 'no_activity'
        else 'assumed'
    end as operating_hours_source,
    w.has_activity
from with_cems as w
left join load_factor as lf on lf.point_id = w.point_id
