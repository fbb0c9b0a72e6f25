{#- Each station's evaluation statistic per pollutant for every month (period_type = month)
    and for the year to the end of that month (ytd): the mean of the valid daily means for
    SO2, NO2, PM10 and PM2.5, the 95th percentile of CO daily means, the 90th percentile of
    O3 daily maximum 8-h means (HJ 663-2013 percentiles: linear between ranks, k = 1 + (n − 1)p),
    rounded as the daily values. A month is valid with ambient_valid_month_min_days valid days
    (February ambient_valid_february_min_days); the year to date with the share
    ambient_valid_year_min_days / 365 of its calendar days. -#}
with station_days as (
    select * from {{ ref('int_ambient__station_days') }}
),

pollutants as (
    select * from {{ ref('ambient_pollutants') }}
),

stations as (
    select * from {{ ref('stg_ambient__stations') }}
),

evaluated as (
    -- the one daily statistic per pollutant that the period statistic is built from
    select station_days.*
    from station_days
    where statistic = case when pollutant = 'o3' then 'max_8h' else 'mean_24h' end
),

months as (
    select distinct cast(date_trunc('month', day) as date) as period_month from station_days
),

periods as (
    select
        'month' as period_type,
        period_month,
        period_month as period_start,
        cast(period_month + interval 1 month - interval 1 day as date) as period_end
    from months
    union all
    select
        'ytd' as period_type,
        period_month,
        cast(date_trunc('year', period_month) as date) as period_start,
        cast(period_month + interval 1 month - interval 1 day as date) as period_end
    from months
),

grid as (
    select stations.station_code, pollutants.pollutant, pollutants.period_statistic,
           pollutants.decimals, periods.*
    from stations
    cross join pollutants
    cross join periods
),

aggregated as (
    select
        grid.station_code,
        grid.pollutant,
        grid.period_type,
        grid.period_month,
        grid.period_start,
        grid.period_end,
        grid.period_statistic,
        {{ round_half_even("case grid.period_statistic when 'p95' then " ~ continuous_quantile('evaluated.value', '0.95') ~ " filter (where evaluated.is_valid) when 'p90' then " ~ continuous_quantile('evaluated.value', '0.90') ~ " filter (where evaluated.is_valid) else avg(evaluated.value) filter (where evaluated.is_valid) end", "grid.decimals") }} as value,
        count(*) filter (where evaluated.is_valid) as valid_days,
        {{ units_between("day", "grid.period_start", "grid.period_end") }} + 1 as calendar_days,
        case
            when grid.period_type = 'month' and month(grid.period_month) = 2
                then {{ var('ambient_valid_february_min_days') }}
            when grid.period_type = 'month' then {{ var('ambient_valid_month_min_days') }}
            else cast(ceil(({{ units_between("day", "grid.period_start", "grid.period_end") }} + 1)
                           * {{ var('ambient_valid_year_min_days') }} / 365.0) as integer)
        end as required_days
    from grid
    left join evaluated
        on evaluated.station_code = grid.station_code
        and evaluated.pollutant = grid.pollutant
        and evaluated.day between grid.period_start and grid.period_end
    group by
        grid.station_code, grid.pollutant, grid.period_type, grid.period_month,
        grid.period_start, grid.period_end, grid.period_statistic, grid.decimals
),

judged as (
    select
        aggregated.*,
        aggregated.valid_days >= aggregated.required_days and aggregated.value is not null
            as is_valid
    from aggregated
)

select * from judged
