-- marts.emissions: the resolved inventory. Grain: enterprise × unit/outlet (emission point) ×
-- pollutant × month. Method priority (MEE 2021 manual): CEMS when every device of the point has a
-- quarterly valid-data rate ≥ var method_cems_min_quarter_valid_rate (0.75), then manual tests,
-- then mass balance / factors; CEMS below the threshold is used only when nothing else exists.
with cems as (
    select * from {{ ref('int_inventory__cems_monthly') }}
),

manual as (
    select * from {{ ref('int_inventory__manual_test_estimates') }}
),

factor as (
    select * from {{ ref('int_inventory__factor_monthly') }}
),

keys as (
    select point_id, enterprise_id, pollutant, period_month from cems
    union
    select point_id, enterprise_id, pollutant, period_month from manual
    union
    select point_id, enterprise_id, pollutant, period_month from factor
),

joined as (
    select
        k.point_id,
        k.enterprise_id,
        k.pollutant,
        k.period_month,
        c.cems_t, c.measured_t, c.substituted_t, c.valid_hours, c.substituted_hours,
        c.quarter_valid_rate, c.cems_eligible, c.has_unfillable_hours, c.mns,
        m.emissions_t as manual_t, m.test_date, m.report_no, m.measured_mg_m3, m.operating_hours,
        m.operating_hours_assumed, m.o2_conversion_skipped,
        f.emissions_t as factor_t, f.method as factor_method, f.ef_id, f.ef_status,
        f.uses_unverified_factor, f.activity_quantity, f.activity_unit, f.activity_item,
        f.limit_implied_t, f.has_unknown_control, f.has_unknown_capture, f.unit_id as factor_unit_id,
        case
            when c.cems_eligible then 'cems'
            when m.emissions_t is not null then 'manual_test'
            when f.emissions_t is not null then f.method
            else 'cems'
        end as method
    from keys as k
    left join cems as c
        on c.point_id = k.point_id and c.pollutant = k.pollutant and c.period_month = k.period_month
    left join manual as m
        on m.point_id = k.point_id and m.pollutant = k.pollutant and m.period_month = k.period_month
    left join factor as f
        on f.point_id = k.point_id and f.pollutant = k.pollutant and f.period_month = k.period_month
),

resolved as (
    select
        j.*,
        case j.method
            when 'cems' then j.cems_t
            when 'manual_test' then j.manual_t
            else j.factor_t
        end as emissions_t,
        case when j.method = 'cems' and j.factor_t > 0 then round(j.cems_t / j.factor_t, 6) end as cems_factor_ratio
    from joined as j
)

select
    md5(r.point_id || '|' || r.pollutant || '|' || cast(r.period_month as varchar)) as emission_id,
    r.enterprise_id,
    coalesce(p.unit_id, r.factor_unit_id) as unit_id,
    p.outlet_id,
    coalesce(p.mn, r.mns) as mn,
    r.point_id,
    p.source_kind,
    r.pollutant,
    pl.pollutant_code,
    pl.label_zh as pollutant_zh,
    r.period_month,
    year(r.period_month) as year,
    quarter(r.period_month) as quarter,
    r.emissions_t,
    r.method,
    case r.method when 'cems' then 1 when 'manual_test' then 2 else 3 end as method_rank,
    case when r.method in ('factor', 'mass_balance') then r.ef_id end as ef_id,
    case when r.method in ('factor', 'mass_balance') then r.ef_status end as ef_status,
    case when r.method in ('factor', 'mass_balance') then r.activity_quantity end as activity_quantity,
    case when r.method in ('factor', 'mass_balance') then r.activity_unit end as activity_unit,
    case when r.method in ('factor', 'mass_balance') then r.activity_item end as activity_item,
    case when r.method = 'cems' then r.measured_t end as measured_t,
    case when r.method = 'cems' then r.substituted_t end as substituted_t,
    case when r.method = 'cems' then r.valid_hours end as cems_valid_hours,
    case when r.method = 'cems' then r.substituted_hours end as cems_substituted_hours,
    r.quarter_valid_rate as cems_quarter_valid_rate,
    case when r.method = 'manual_test' then r.test_date end as manual_test_date,
    case when r.method = 'manual_test' then r.report_no end as manual_test_report_no,
    case when r.method = 'manual_test' then r.operating_hours end as manual_test_operating_hours,
    r.factor_t as factor_estimate_t,
    r.limit_implied_t,
    r.cems_factor_ratio,
    nullif(array_to_string(list_filter([
        case when r.cems_factor_ratio is not null
            and (r.cems_factor_ratio < {{ inventory_param('cems_factor_ratio_low') }}
                 or r.cems_factor_ratio > {{ inventory_param('cems_factor_ratio_high') }})
            then 'cems_factor_ratio_out_of_range' end,
        case when r.method in ('factor', 'mass_balance') and r.emissions_t > r.limit_implied_t
            then 'factor_above_limit_implied' end,
        case when r.cems_t is not null and not r.cems_eligible
            then 'cems_valid_rate_below_threshold' end,
        case when r.method = 'cems' and r.has_unfillable_hours then 'cems_unfillable_hours' end,
        case when r.method in ('factor', 'mass_balance') and r.uses_unverified_factor
            then 'unverified_factor' end,
        case when r.method in ('factor', 'mass_balance') and r.has_unknown_control
            then 'unknown_control_tech' end,
        case when r.method in ('factor', 'mass_balance') and r.has_unknown_capture
            then 'unknown_capture_type' end,
        case when r.method = 'manual_test' and r.operating_hours_assumed
            then 'operating_hours_assumed' end,
        case when r.method = 'manual_test' and r.o2_conversion_skipped
            then 'manual_test_o2_not_converted' end
    ], lambda x: x is not null), ','), '') as qa_flags
from resolved as r
left join {{ ref('int_inventory__emission_points') }} as p on p.point_id = r.point_id
left join {{ ref('inventory_pollutants') }} as pl on pl.pollutant = r.pollutant
