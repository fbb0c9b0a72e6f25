{#- Station and township rankings by month and year to date (空气质量排名), with the rule and the
    data behind each rank. Metrics: composite_index (综合指数), pm25, pm10; lower is better and
    rank 1 is the best. Equal values (composite index to 2 decimals, concentrations as
    rounded) share a rank and the next rank is skipped (1, 1, 3). A station whose statistic is
    not valid (too few valid days) is listed without a rank, with the reason. Township
    rankings use the township's own station (station_type = township). -#}
{%- set metrics = [
    ('composite_index', '综合指数', '按环境空气质量综合指数(六项污染物 Σ Ci/Si: SO2/60、NO2/40、PM10/70、PM2.5/35、CO第95百分位数/4、O3日最大8小时第90百分位数/160)由小到大排名'),
    ('pm25', 'PM2.5浓度', '按PM2.5平均浓度(µg/m³)由小到大排名'),
    ('pm10', 'PM10浓度', '按PM10平均浓度(µg/m³)由小到大排名'),
] -%}
with monthly as (
    select * from {{ ref('air_quality_monthly') }}
),

entities as (
    select 'station' as scope, station_code as entity_code, station_name as entity_name, *
    from monthly
    union all
    select 'township' as scope, township as entity_code, township as entity_name, *
    from monthly
    where station_type = 'township'
),

long as (
    {%- for metric, label, rule in metrics %}
    select
        scope,
        period_type,
        period_month,
        '{{ metric }}' as metric,
        '{{ label }}' as metric_zh,
        entity_code,
        entity_name,
        station_code,
        {{ metric }} as value,
        {%- if metric == 'composite_index' %}
        invalid_pollutants as invalid_reason,
        {%- else %}
        case when {{ metric }} is null or {{ metric }}_valid_days < required_days
            then '{{ metric }}' end as invalid_reason,
        {%- endif %}
        '{{ rule }}；数值相同名次并列；有效天数不足(月≥{{ var('ambient_valid_month_min_days') }}天，2月≥{{ var('ambient_valid_february_min_days') }}天；年累计≥当期日历天数×{{ var('ambient_valid_year_min_days') }}/365)的不参与排名' as rule_zh,
        {% call json_text() %}json_object(
            'period', {{ format_time("period_start", "%Y-%m-%d") }} || '/' || {{ format_time("period_end", "%Y-%m-%d") }},
            'required_days', required_days,
            'so2', json_object('value', so2, 'valid_days', so2_valid_days),
            'no2', json_object('value', no2, 'valid_days', no2_valid_days),
            'pm10', json_object('value', pm10, 'valid_days', pm10_valid_days),
            'pm25', json_object('value', pm25, 'valid_days', pm25_valid_days),
            'co_p95', json_object('value', co, 'valid_days', co_valid_days),
            'o3_8h_p90', json_object('value', o3, 'valid_days', o3_valid_days),
            'composite_index', composite_index,
            'good_day_share', good_day_share
        ){% endcall %} as basis
    from entities
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

eligible as (
    select
        long.*,
        long.value is not null and long.invalid_reason is null as is_ranked
    from long
),

ranked as (
    select
        eligible.*,
        case when is_ranked then rank() over (
            partition by scope, period_type, period_month, metric, is_ranked
            order by value
        ) end as rank,
        count(*) filter (where is_ranked) over (
            partition by scope, period_type, period_month, metric
        ) as ranked_count
    from eligible
),

final as (
    select
        scope,
        period_type,
        period_month,
        metric,
        metric_zh,
        entity_code,
        entity_name,
        station_code,
        value,
        rank,
        ranked_count,
        is_ranked,
        case when not is_ranked then '有效数据不足，不参与排名: ' || coalesce(invalid_reason, metric) end
            as not_ranked_reason,
        rule_zh,
        basis
    from ranked
)

select * from final
