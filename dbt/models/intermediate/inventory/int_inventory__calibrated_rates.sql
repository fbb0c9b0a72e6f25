-- The unit's own emission rate (本单元实测校准), from its CEMS, carried to the months whose CEMS is
-- missing or not accepted. Grain: point_id × pollutant × period_month (every calendar month of a
-- point-pollutant that has at least one calibration month).
--   calibration month: the point's CEMS covered at least calibration_min_month_capture of the
--                      month's non-stopped hours with valid data, and the driver is positive
--   driver:            what the emissions scale with, per pollutant —
--                        uncontrolled   the factor library's uncontrolled estimate from this
--                                       month's activity (fuel sulfur for SO2, fuel or product for
--                                       NOx/PM/NH3): the ratio is then the unit's own emission
--                                       fraction, e.g. its real desulfurization efficiency
--                        capacity_hours activity ÷ rated capacity, where no factor applies
--   ratio:             Σ CEMS t ÷ Σ driver over calibration months no more than
--                      calibration_max_months_apart from the month
--   calibrated_t:      ratio × the month's driver (0 when the unit did not produce)
with cems as (
    select * from {{ ref('int_inventory__cems_monthly') }}
),

hours as (
    select * from {{ ref('int_inventory__operating_hours') }}
),

factor as (
    select point_id, pollutant, period_month, uncontrolled_t
    from {{ ref('int_inventory__factor_monthly') }}
    where release = 'stack'
),

factor_points as (
    select distinct point_id, pollutant from factor
),

point_pollutants as (
    select distinct point_id, pollutant from cems
),

drivers as (
    select
        pp.point_id,
        pp.pollutant,
        h.period_month,
        case when fp.point_id is not null then 'uncontrolled' else 'capacity_hours' end as driver_kind,
        case
            when fp.point_id is not null then coalesce(f.uncontrolled_t, 0)
            when h.has_activity = false then 0
            else h.capacity_hours
        end as driver
    from point_pollutants as pp
    inner join hours as h on h.point_id = pp.point_id
    left join factor_points as fp on fp.point_id = pp.point_id and fp.pollutant = pp.pollutant
    left join factor as f
        on f.point_id = pp.point_id and f.pollutant = pp.pollutant and f.period_month = h.period_month
),

calibration as (
    select d.point_id, d.pollutant, d.period_month, d.driver, c.cems_t
    from drivers as d
    inner join cems as c
        on c.point_id = d.point_id and c.pollutant = d.pollutant and c.period_month = d.period_month
    where c.month_capture_rate >= {{ inventory_param('calibration_min_month_capture') }}
        and d.driver > 0
),

rated as (
    select
        d.point_id,
        d.pollutant,
        d.period_month,
        d.driver_kind,
        d.driver,
        sum(k.cems_t) / nullif(sum(k.driver), 0) as ratio,
        count(k.period_month) as calibration_months,
        min(k.period_month) as calibration_first_month,
        max(k.period_month) as calibration_last_month
    from drivers as d
    inner join calibration as k
        on k.point_id = d.point_id and k.pollutant = d.pollutant
        and abs({{ units_between("month", "k.period_month", "d.period_month") }})
            <= {{ inventory_param('calibration_max_months_apart') }}
    group by d.point_id, d.pollutant, d.period_month, d.driver_kind, d.driver
)

select
    point_id,
    pollutant,
    period_month,
    driver_kind,
    {{ round_exact("driver", 9) }} as driver,
    {{ round_exact("ratio", 9) }} as calibration_ratio,
    calibration_months,
    calibration_first_month,
    calibration_last_month,
    {{ round_exact("ratio * coalesce(driver, 0)", 9) }} as calibrated_t
from rated
where driver is not null
