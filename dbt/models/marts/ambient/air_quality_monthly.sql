{#- Monthly and year-to-date air quality per station: the evaluation statistic of each
    pollutant with its valid days, the single indexes I_i = C_i / S_i, the composite index
    (环境空气质量综合指数 = Σ I_i over the six pollutants, only when all six are valid), the
    largest single index and its pollutant, and the AQI days: complete days, 优良 days and their
    share, polluted and heavily polluted days, the mean and the worst AQI. -#}
{%- set pollutants = ['so2', 'no2', 'pm10', 'pm25', 'co', 'o3'] -%}
with period_statistics as (
    select * from {{ ref('int_ambient__period_statistics') }}
),

daily as (
    select * from {{ ref('air_quality_daily') }}
),

stations as (
    select * from {{ ref('stg_ambient__stations') }}
),

limits as (
    select * from {{ ref('ambient_pollutants') }}
),

indexed as (
    select
        period_statistics.*,
        case when period_statistics.is_valid
            then period_statistics.value / limits.standard_limit end as single_index
    from period_statistics
    inner join limits on limits.pollutant = period_statistics.pollutant
),

pivoted as (
    select
        station_code,
        period_type,
        period_month,
        min(period_start) as period_start,
        max(period_end) as period_end,
        max(calendar_days) as calendar_days,
        max(required_days) as required_days,
        {%- for p in pollutants %}
        max(value) filter (where pollutant = '{{ p }}') as {{ p }},
        max(valid_days) filter (where pollutant = '{{ p }}') as {{ p }}_valid_days,
        max(single_index) filter (where pollutant = '{{ p }}') as {{ p }}_index,
        {%- endfor %}
        nullif({{ ordered_string_agg("case when not is_valid then pollutant end", "','", "pollutant") }}, '')
            as invalid_pollutants
    from indexed
    group by all
),

days as (
    select
        pivoted.station_code,
        pivoted.period_type,
        pivoted.period_month,
        count(daily.aqi) as aqi_days,
        count(*) filter (where daily.is_good) as good_days,
        count(*) filter (where daily.aqi > 100) as polluted_days,
        count(*) filter (where daily.aqi > 200) as heavy_days,
        {{ round_exact("avg(daily.aqi)", 1) }} as aqi_mean,
        max(daily.aqi) as aqi_max
    from pivoted
    left join daily
        on daily.station_code = pivoted.station_code
        and daily.day between pivoted.period_start and pivoted.period_end
    group by all
),

final as (
    select
        pivoted.station_code,
        stations.station_name,
        stations.station_type,
        stations.township,
        pivoted.period_type,
        pivoted.period_month,
        pivoted.period_start,
        pivoted.period_end,
        pivoted.calendar_days,
        pivoted.required_days,
        {%- for p in pollutants %}
        pivoted.{{ p }},
        pivoted.{{ p }}_valid_days,
        {% call rounded(3) %}pivoted.{{ p }}_index{% endcall %} as {{ p }}_index,
        {%- endfor %}
        case when pivoted.invalid_pollutants is null then {% call rounded(2) %}{%- for p in pollutants %}
            pivoted.{{ p }}_index{{ ' +' if not loop.last }}
            {%- endfor %}{% endcall %} end as composite_index,
        case when pivoted.invalid_pollutants is null then {% call rounded(3) %}greatest(
            {%- for p in pollutants %}
            pivoted.{{ p }}_index{{ ',' if not loop.last }}
            {%- endfor %}){% endcall %} end as max_single_index,
        case when pivoted.invalid_pollutants is null then
            case greatest(
                {%- for p in pollutants %}
                pivoted.{{ p }}_index{{ ',' if not loop.last }}
                {%- endfor %})
                {%- for p in pollutants %}
                when pivoted.{{ p }}_index then '{{ p }}'
                {%- endfor %}
            end end as max_index_pollutant,
        pivoted.invalid_pollutants,
        days.aqi_days,
        days.good_days,
        case when days.aqi_days > 0 then {{ round_exact("days.good_days / days.aqi_days", 4) }} end
            as good_day_share,
        days.polluted_days,
        days.heavy_days,
        days.aqi_mean,
        days.aqi_max
    from pivoted
    inner join stations on stations.station_code = pivoted.station_code
    inner join days
        on days.station_code = pivoted.station_code
        and days.period_type = pivoted.period_type
        and days.period_month = pivoted.period_month
)

select * from final
