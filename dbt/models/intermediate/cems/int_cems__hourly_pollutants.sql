-- Pollutant hours with the device's flue-gas channels as columns, the outlet's registry facts,
-- and the recomputed converted concentration and mass. Grain: mn × pollutant_code × hour_start.
--  * avg_converted = avg_measured × (21 − reference_o2) / (21 − o2) with the registry's
--    reference O2 (the office's basis, HJ 212 App. D formula 28); where the outlet has none,
--    converted = measured. The device's own ZsAvg stays in sent_converted.
--  * mass_kg = avg_measured mg/m³ × flow m³/s × 3600 s × 1e-6 (App. D formula 33); the packet's
--    Cou stays in cou_kg.
--  * is_valid: the pollutant's own hour is valid (is_concentration_valid) AND its flow hour is
--    valid (the mass needs it) AND, where the outlet has a reference O2, its O2 hour is valid (the
--    converted value needs it): HJ 75 counts a pollutant hour only with its flue-gas parameters.
--  * is_operating is a cheap physics guess (flow above var('operating_min_flow_m3_s') and O2 below
--    var('operating_ambient_o2_pct')), never taken from the flags.
-- Incremental by day (macros/cems_incremental.sql); every day again when the registry's CEMS
-- facts (outlets, reference O2, limits) changed since the last build.
{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy='replace_days',
    registry_sensitive=true,
) }}
with combined as (
    select * from {{ ref('int_cems__hourly_combined') }}
    where {{ cems_days_filter('hour_start', registry=true) }}
),

channels as (
    select
        mn,
        hour_start,
        max(avg_measured) filter (where pollutant_code = 'a19001') as o2,
        bool_or(is_valid) filter (where pollutant_code = 'a19001') as is_o2_valid,
        max(avg_measured) filter (where pollutant_code = 'a00000') as flow_m3_s,
        bool_or(is_valid) filter (where pollutant_code = 'a00000') as is_flow_valid,
        max(cou_sent) filter (where pollutant_code = 'a00000') as flow_volume_m3,
        max(avg_measured) filter (where pollutant_code = 'a01012') as temp_c,
        max(avg_measured) filter (where pollutant_code = 'a01013') as pressure_kpa,
        max(avg_measured) filter (where pollutant_code = 'a01014') as humidity_pct,
        max(avg_measured) filter (where pollutant_code = 'a01011') as velocity_m_s
    from combined
    where pollutant_code in ('{{ cems_flue_gas_codes() | join("', '") }}')
    group by mn, hour_start
),

pollutants as (
    select * from combined
    where {{ cems_is_pollutant('pollutant_code') }}
),

outlets as (
    select * from {{ ref('stg_registry__outlets') }} where mn is not null
),

limits as (
    select * from {{ ref('stg_registry__outlet_limits') }}
),

joined as (
    select
        p.mn,
        p.pollutant_code,
        p.hour_start,
        o.enterprise_id,
        o.outlet_id,
        o.source_kind,
        o.reference_o2,
        p.avg_measured,
        p.min_measured,
        p.max_measured,
        {{ o2_converted('p.avg_measured', 'c.o2', 'o.reference_o2') }} as avg_converted,
        p.sent_converted,
        c.o2,
        c.is_o2_valid,
        c.is_flow_valid,
        c.flow_m3_s,
        c.flow_volume_m3,
        c.temp_c,
        c.pressure_kpa,
        c.humidity_pct,
        c.velocity_m_s,
        {{ mass_kg('p.avg_measured', 'c.flow_m3_s') }} as mass_kg,
        p.cou_sent as cou_kg,
        p.packet_cou as packet_cou_kg,
        p.valid_minutes,
        p.minutes_reported,
        p.normal_minutes,
        p.marked_minutes,
        p.stopped_minutes,
        p.over_range_minutes,
        p.minute_mean,
        p.is_valid as is_concentration_valid,
        coalesce(
            p.is_valid
            and c.is_flow_valid
            and (o.reference_o2 is null or c.is_o2_valid),
            false
        ) as is_valid,
        p.flag,
        p.data_source,
        p.has_hourly_packet,
        p.packet_avg_measured,
        p.packet_sent_converted,
        p.packet_flag,
        p.packet_flag_as_sent,
        p.minute_vs_packet_rel_diff,
        p.protocol_version,
        l.limit_mg_m3,
        l.analyzer_range,
        l.detection_limit,
        case
            when c.flow_m3_s is null and c.o2 is null then null
            else not (
                coalesce(c.flow_m3_s <= {{ var('operating_min_flow_m3_s') }}, false)
                or coalesce(c.o2 >= {{ var('operating_ambient_o2_pct') }}, false)
            )
        end as is_operating
    from pollutants as p
    left join channels as c
        on c.mn = p.mn and c.hour_start = p.hour_start
    left join outlets as o
        on o.mn = p.mn
    left join limits as l
        on l.mn = p.mn and l.pollutant_code = p.pollutant_code
)

select
    *,
    coalesce(is_valid and avg_converted > limit_mg_m3, false) as is_over_limit
from joined
order by mn, pollutant_code, hour_start
