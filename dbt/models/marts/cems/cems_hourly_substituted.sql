-- marts.cems_hourly_substituted: one row per mn × pollutant_code × hour_start over every expected
-- hour (int_cems__hourly_grid), with measured, substituted and invalid mass kept in their own
-- columns. Conservative substitution of the emission amount (HJ 75-2017 §11-12 as recalled in
-- hj212-notes §7, UNVERIFIED; the thresholds are dbt vars):
--   quarter valid_rate ≥ var('substitution_high_capture_rate') and the gap between the valid hours
--   around it ≤ var('substitution_short_gap_max_hours')   → mean of those two valid hours
--   valid_rate ≥ that rate, longer gap                      → max of the previous
--                                                            var('substitution_lookback_short_hours') valid hours
--   lower valid_rate                                        → max of the previous
--                                                            var('substitution_lookback_long_hours') valid hours
--   no earlier valid hour                                   → max of all valid hours of the pair
-- Source-stopped hours emit nothing and are not substituted.
-- Incremental by day on DuckDB (`replace_rows`, macros/cems_incremental.sql; a table on Spark):
-- data changed on a day moves the substitution of every later hour of that day's quarter and
-- beyond (the quarter's valid rate, the trailing maxima, the previous valid hour), of the gap
-- that runs into the quarter (its next valid hour), and, when the pair's maximum moved, of the
-- hours before its first valid hour (`cems_substitution_scope`). Those rows are recomputed, from
-- the start of their days, over the valid hours they look back on; the others are kept.
{%- set short_n = var('substitution_lookback_short_hours') | int %}
{%- set long_n = var('substitution_lookback_long_hours') | int %}
{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy='replace_rows',
    registry_sensitive=true,
    grid_coverage=true,
    on_schema_change='fail',
) }}
{%- set scope = cems_days_filter('hour_start', registry=true, grid=true) %}
with grid_all as (
    select * from {{ ref('int_cems__hourly_grid') }}
),
{%- if scope in ('true', 'false') %}

grid as (
    select * from grid_all where {{ scope }}
),

lookback as (
    select * from grid_all{% if scope == 'false' %} where false{% endif %}
),
{%- else %}

{{ cems_substitution_scope(cems_rebuild_days()[0], long_n) }},

grid as (
    select g.*
    from grid_all as g
    inner join scope as s on s.mn = g.mn and s.pollutant_code = g.pollutant_code
    where s.recompute_from is null
        or g.hour_start >= s.recompute_from
        or (s.max_moved and g.hour_start < s.first_valid_day_end)
),

lookback as (
    select g.*
    from grid_all as g
    inner join scope as s on s.mn = g.mn and s.pollutant_code = g.pollutant_code
    where s.lookback_from is null or g.hour_start >= s.lookback_from
),
{%- endif %}

rates as (
    select mn, pollutant_code, quarter_start, valid_rate
    from {{ ref('cems_quarterly_valid_rate') }}
),

outlets as (
    select * from {{ ref('stg_registry__outlets') }} where mn is not null
),

valid_hours as (
    select
        mn,
        pollutant_code,
        hour_start,
        mass_kg,
        max(mass_kg) over (
            partition by mn, pollutant_code order by hour_start
            rows between {{ short_n - 1 }} preceding and current row
        ) as max_short_kg,
        max(mass_kg) over (
            partition by mn, pollutant_code order by hour_start
            rows between {{ long_n - 1 }} preceding and current row
        ) as max_long_kg
    from lookback
    where hour_status = 'valid' and mass_kg is not null
),

pair_max as (
    select mn, pollutant_code, max(mass_kg) as max_all_kg
    from grid_all
    where hour_status = 'valid' and mass_kg is not null
    group by mn, pollutant_code
),

gaps as (
    select g.*, r.valid_rate
    from grid as g
    left join rates as r
        on r.mn = g.mn and r.pollutant_code = g.pollutant_code and r.quarter_start = g.quarter_start
    where g.hour_status in ('invalid', 'missing')
        or (g.hour_status = 'valid' and g.mass_kg is null)
),

-- each gap with the valid hour before it (and its trailing maxima) and the valid hour after it
with_next as (
    {{ cems_adjacent_valid_hours('gaps', 'valid_hours') }}
),

methods as (
    select
        w.mn,
        w.pollutant_code,
        w.hour_start,
        w.valid_rate,
        w.previous_valid_hour,
        w.next_valid_hour,
        {{ units_between("hour", "w.previous_valid_hour", "w.next_valid_hour") }} - 1 as gap_hours,
        case
            when w.valid_rate >= {{ var('substitution_high_capture_rate') }}
                and w.previous_valid_hour is not null and w.next_valid_hour is not null
                and {{ units_between("hour", "w.previous_valid_hour", "w.next_valid_hour") }} - 1
                    <= {{ var('substitution_short_gap_max_hours') }}
                then 'mean_adjacent'
            when w.valid_rate >= {{ var('substitution_high_capture_rate') }}
                and w.previous_valid_hour is not null
                then 'max_previous_{{ short_n }}h'
            when w.previous_valid_hour is not null then 'max_previous_{{ long_n }}h'
            when pm.max_all_kg is not null then 'max_all_valid'
            else 'none'
        end as substitution_method,
        w.previous_valid_kg,
        w.next_valid_kg,
        w.max_short_kg,
        w.max_long_kg,
        pm.max_all_kg
    from with_next as w
    left join pair_max as pm on pm.mn = w.mn and pm.pollutant_code = w.pollutant_code
),

substituted as (
    select
        *,
        case substitution_method
            when 'mean_adjacent' then (previous_valid_kg + next_valid_kg) / 2
            when 'max_previous_{{ short_n }}h' then max_short_kg
            when 'max_previous_{{ long_n }}h' then max_long_kg
            when 'max_all_valid' then max_all_kg
        end as substituted_mass_kg
    from methods
)

select
    g.mn,
    g.pollutant_code,
    g.hour_start,
    g.quarter_start,
    o.enterprise_id,
    o.outlet_id,
    g.hour_status,
    g.flag,
    case when g.hour_status = 'valid' then g.mass_kg end as measured_mass_kg,
    case when g.hour_status = 'invalid' then g.mass_kg end as invalid_mass_kg,
    s.substituted_mass_kg,
    s.substitution_method,
    s.gap_hours,
    s.previous_valid_hour,
    s.next_valid_hour,
    s.valid_rate as quarter_valid_rate,
    -- the total every downstream sum uses: measured where valid, substituted otherwise, 0 stopped
    case
        when g.hour_status = 'source_stopped' then 0
        when g.hour_status = 'valid' and g.mass_kg is not null then g.mass_kg
        else s.substituted_mass_kg
    end as total_mass_kg
from grid as g
left join substituted as s
    on s.mn = g.mn and s.pollutant_code = g.pollutant_code and s.hour_start = g.hour_start
left join outlets as o on o.mn = g.mn
order by g.mn, g.pollutant_code, g.hour_start
