-- marts.cems_daily: one row per mn × pollutant_code × day (local date). A day is valid with
-- ≥ var('valid_day_min_hours') valid hours (HJ 212 formula 25); its means use valid hours only;
-- its flag is N when at least var('flag_normal_share') of its 24 hours are valid and flagged N (HJ 212
-- App. C: 75%以上的正常值, 以上 including 75 %), else D.
-- Mass: measured_mass_kg (valid hours), substituted_mass_kg (invalid and missing hours,
-- cems_hourly_substituted) and total_mass_kg = measured + substituted; invalid_mass_kg is shown
-- for reference and is in no total.
with hours as (
    select
        s.*,
        h.avg_measured,
        h.avg_converted,
        h.o2,
        h.flow_m3_s,
        h.is_over_limit
    from {{ ref('cems_hourly_substituted') }} as s
    left join {{ ref('cems_hourly') }} as h
        on h.mn = s.mn and h.pollutant_code = s.pollutant_code and h.hour_start = s.hour_start
),

days as (
    select
        mn,
        pollutant_code,
        cast(hour_start as date) as day,
        any_value(enterprise_id) as enterprise_id,
        any_value(outlet_id) as outlet_id,
        count(*) as expected_hours,
        count(*) filter (where hour_status = 'valid') as valid_hours,
        count(*) filter (where hour_status = 'valid' and flag = 'N') as normal_hours,
        count(*) filter (where hour_status = 'source_stopped') as source_stopped_hours,
        count(*) filter (where hour_status = 'invalid') as invalid_hours,
        count(*) filter (where hour_status = 'missing') as missing_hours,
        {{ exact_avg('avg_measured', where="hour_status = 'valid'") }} as avg_measured,
        {{ exact_avg('avg_converted', where="hour_status = 'valid'") }} as avg_converted,
        max(avg_converted) filter (where hour_status = 'valid') as max_hourly_converted,
        {{ exact_avg('o2', where="hour_status = 'valid'") }} as o2,
        {{ exact_avg('flow_m3_s', where="hour_status = 'valid'") }} as flow_m3_s,
        count(*) filter (where is_over_limit) as over_limit_hours,
        coalesce({{ exact_sum('measured_mass_kg') }}, 0) as measured_mass_kg,
        coalesce({{ exact_sum('substituted_mass_kg') }}, 0) as substituted_mass_kg,
        coalesce({{ exact_sum('invalid_mass_kg') }}, 0) as invalid_mass_kg,
        {{ exact_sum('total_mass_kg') }} as total_mass_kg,
        count(*) filter (where hour_status in ('invalid', 'missing') and substituted_mass_kg is null)
            as unfilled_hours
    from hours
    group by mn, pollutant_code, cast(hour_start as date)
)

select
    *,
    valid_hours >= {{ var('valid_day_min_hours') }} as is_valid,
    {{ aggregate_flag('normal_hours', 24) }} as flag
from days
