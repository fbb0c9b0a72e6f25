-- marts.cems_hourly: one row per mn × pollutant_code × hour_start (local time), pollutants only;
-- flue-gas parameters are columns. Measured values only: substitution lives in
-- marts.cems_hourly_substituted. See _cems__models.yml for every column's unit and basis.
-- Incremental by day (macros/cems_incremental.sql), as int_cems__hourly_pollutants.
{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy='replace_days',
    registry_sensitive=true,
    on_schema_change='fail',
) }}
select
    -- keys
    mn,
    pollutant_code,
    hour_start,
    -- contract columns
    avg_measured,
    avg_converted,
    o2,
    flow_m3_s,
    mass_kg,
    valid_minutes,
    is_valid,
    flag,
    -- source and registry
    data_source,
    enterprise_id,
    outlet_id,
    source_kind,
    reference_o2,
    limit_mg_m3,
    analyzer_range,
    detection_limit,
    is_over_limit,
    is_operating,
    -- more measurements
    min_measured,
    max_measured,
    sent_converted,
    cou_kg,
    is_concentration_valid,
    is_o2_valid,
    is_flow_valid,
    flow_volume_m3,
    temp_c,
    pressure_kpa,
    humidity_pct,
    velocity_m_s,
    -- minute facts (null for hourly-only hours)
    minutes_reported,
    normal_minutes,
    marked_minutes,
    stopped_minutes,
    over_range_minutes,
    minute_mean,
    -- the hourly packet as sent
    has_hourly_packet,
    packet_avg_measured,
    packet_sent_converted,
    packet_cou_kg,
    packet_flag,
    packet_flag_as_sent,
    minute_vs_packet_rel_diff,
    protocol_version
from {{ ref('int_cems__hourly_pollutants') }}
where {{ cems_days_filter('hour_start', registry=true) }}
order by mn, pollutant_code, hour_start
