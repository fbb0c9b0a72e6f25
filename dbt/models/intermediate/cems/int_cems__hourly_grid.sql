-- Every expected hour of every monitored mn × pollutant, measured or not, with its status.
-- Grain: mn × pollutant_code × hour_start. Expected hours run over the warehouse's CEMS coverage
-- (the first to the last hour any device reported), so an outage at the edge of one device's
-- data still counts as missing. Status:
--   valid          the hour is valid (HJ 75 minute rule, or an N/T hourly packet)
--   source_stopped flagged Sd (2005 F), or F while the physics agree the source is down
--                  (is_operating not true): excluded from the capture-rate denominator
--   invalid        reported but not valid (C, M, D, B, S, too few valid minutes, F while running)
--   missing        no data for the hour
-- Incremental by day (macros/cems_incremental.sql): the rebuilt days are laid again; every day
-- when the pairs or the coverage changed beyond them (`cems_grid_changed`).
{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy='replace_days',
    registry_sensitive=true,
    grid_coverage=true,
) }}
{%- set days = cems_days_filter('hour_start', registry=true, grid=true) %}
with all_hours as (
    select mn, pollutant_code, hour_start from {{ ref('int_cems__hourly_pollutants') }}
),

hourly as (
    select * from {{ ref('int_cems__hourly_pollutants') }}
    where {{ days }}
),

coverage as (
    select min(hour_start) as first_hour, max(hour_start) as last_hour from all_hours
),

pairs as (
    select distinct mn, pollutant_code from all_hours
),

hours as (
    select hour_start from (
        select {{ unnest_list(value_series("first_hour", "last_hour", "interval 1 hour")) }} as hour_start
        from coverage
    ) as series
    where {{ days }}
),

grid as (
    select p.mn, p.pollutant_code, h.hour_start
    from pairs as p
    cross join hours as h
)

select
    g.mn,
    g.pollutant_code,
    g.hour_start,
    cast(date_trunc('quarter', g.hour_start) as date) as quarter_start,
    case
        when hr.mn is null then 'missing'
        when hr.is_valid then 'valid'
        when hr.flag = 'Sd' or (hr.flag = 'F' and hr.is_operating is not true) then 'source_stopped'
        else 'invalid'
    end as hour_status,
    hr.mass_kg,
    hr.avg_measured,
    hr.avg_converted,
    hr.flag
from grid as g
left join hourly as hr
    on hr.mn = g.mn and hr.pollutant_code = g.pollutant_code and hr.hour_start = g.hour_start
