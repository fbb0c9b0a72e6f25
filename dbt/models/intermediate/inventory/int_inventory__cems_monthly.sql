-- CEMS mass per emission point, pollutant and month, measured and substituted kept apart (from
-- marts.cems_monthly, whose substitution follows HJ 75 in marts.cems_hourly_substituted), with the
-- calendar quarter's valid-data rate that decides whether CEMS may be the method and the month's
-- own capture rate that decides whether the month may calibrate the unit's emission rate.
-- Grain: point_id × pollutant × period_month. A point with several devices sums them and takes the
-- lowest device rate: every device must reach the threshold. NMHC (a24088) is measured as carbon:
-- × nmhc_c_to_voc_mass to VOC mass.
with monthly as (
    select
        po.point_id,
        po.enterprise_id,
        m.mn,
        p.pollutant,
        m.pollutant_code,
        cast(m.month_start as date) as period_month,
        cast(date_trunc('quarter', m.month_start) as date) as quarter_start,
        case when p.pollutant = 'voc' then {{ inventory_param('nmhc_c_to_voc_mass') }} else 1 end as mass_ratio,
        coalesce(m.measured_mass_kg, 0) as measured_kg,
        coalesce(m.substituted_mass_kg, 0) as substituted_kg,
        coalesce(m.valid_hours, 0) as valid_hours,
        coalesce(m.source_stopped_hours, 0) as stopped_hours,
        coalesce(m.invalid_hours, 0) + coalesce(m.missing_hours, 0) - coalesce(m.unfilled_hours, 0)
            as substituted_hours,
        coalesce(m.unfilled_hours, 0) > 0 as has_unfillable_hours,
        {{ units_between("hour", "cast(m.month_start as timestamp)", "cast(m.month_start + interval 1 month as timestamp)") }}
            as month_hours
    from {{ ref('cems_monthly') }} as m
    inner join {{ ref('int_inventory__point_outlets') }} as po on po.mn = m.mn
    inner join {{ ref('inventory_pollutants') }} as p on p.pollutant_code = m.pollutant_code
),

rates as (
    -- the calendar quarter's rate: hours the warehouse holds no data for count as missing
    select mn, pollutant_code, cast(quarter_start as date) as quarter_start,
        calendar_valid_rate as valid_rate
    from {{ ref('cems_quarterly_valid_rate') }}
)

select
    m.point_id,
    any_value(m.enterprise_id) as enterprise_id,
    m.pollutant,
    m.period_month,
    {{ ordered_string_agg("m.mn", "','", "m.mn", distinct=true) }} as mns,
    {{ round_exact(exact_sum("m.measured_kg * m.mass_ratio") ~ " / 1000.0", 9) }} as measured_t,
    {{ round_exact(exact_sum("m.substituted_kg * m.mass_ratio") ~ " / 1000.0", 9) }} as substituted_t,
    {{ round_exact("(" ~ exact_sum("m.measured_kg * m.mass_ratio") ~ " + " ~ exact_sum("m.substituted_kg * m.mass_ratio") ~ ") / 1000.0", 9) }} as cems_t,
    sum(m.valid_hours) as valid_hours,
    sum(m.substituted_hours) as substituted_hours,
    bool_or(m.has_unfillable_hours) as has_unfillable_hours,
    min(m.valid_hours / nullif(m.month_hours - m.stopped_hours, 0)) as month_capture_rate,
    min(coalesce(r.valid_rate, 0)) as quarter_valid_rate,
    min(coalesce(r.valid_rate, 0)) >= {{ var('method_cems_min_quarter_valid_rate', 0.75) }} as cems_eligible
from monthly as m
left join rates as r
    on r.mn = m.mn and r.pollutant_code = m.pollutant_code and r.quarter_start = m.quarter_start
group by m.point_id, m.pollutant, m.period_month
