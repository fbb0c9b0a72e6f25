-- marts.cems_quarterly_valid_rate: one row per mn × pollutant_code × quarter_start.
-- valid_rate = valid hours / (expected hours − source-stopped hours), the HJ 75 capture rate
-- (total − stopped − invalid) / (total − stopped) with missing hours counted as invalid.
-- Expected hours are the quarter's hours inside the warehouse's CEMS coverage
-- (int_cems__hourly_grid); calendar_valid_rate uses every hour of the calendar quarter instead,
-- and it is the calendar rate that decides whether CEMS may be the inventory method: a quarter of
-- which the warehouse holds one month cannot reach 75 % (hours outside the data count as missing).
with grid as (
    select * from {{ ref('int_cems__hourly_grid') }}
),

outlets as (
    select * from {{ ref('stg_registry__outlets') }} where mn is not null
),

quarters as (
    select
        mn,
        pollutant_code,
        quarter_start,
        min(hour_start) as coverage_start,
        max(hour_start) as coverage_end,
        count(*) as expected_hours,
        count(*) filter (where hour_status = 'valid') as valid_hours,
        count(*) filter (where hour_status = 'source_stopped') as source_stopped_hours,
        count(*) filter (where hour_status = 'invalid') as invalid_hours,
        count(*) filter (where hour_status = 'missing') as missing_hours
    from grid
    group by mn, pollutant_code, quarter_start
)

select
    q.mn,
    q.pollutant_code,
    q.quarter_start,
    o.enterprise_id,
    o.outlet_id,
    q.coverage_start,
    q.coverage_end,
    q.expected_hours,
    q.valid_hours,
    q.source_stopped_hours,
    q.invalid_hours,
    q.missing_hours,
    q.valid_hours / nullif(q.expected_hours - q.source_stopped_hours, 0) as valid_rate,
    {{ units_between("hour", "cast(q.quarter_start as timestamp)", "cast(q.quarter_start + interval 3 month as timestamp)") }}
        as calendar_hours,
    q.valid_hours / nullif(
        {{ units_between("hour", "cast(q.quarter_start as timestamp)", "cast(q.quarter_start + interval 3 month as timestamp)") }}
        - q.source_stopped_hours, 0
    ) as calendar_valid_rate,
    coalesce(
        q.valid_hours / nullif(
            {{ units_between("hour", "cast(q.quarter_start as timestamp)", "cast(q.quarter_start + interval 3 month as timestamp)") }}
            - q.source_stopped_hours, 0
        ) >= {{ var('method_cems_min_quarter_valid_rate') }},
        false
    ) as meets_cems_method_rate
from quarters as q
left join outlets as o on o.mn = q.mn
