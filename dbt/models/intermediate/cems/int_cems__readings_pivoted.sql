-- Minute (CN 2051) and hourly (CN 2061) readings, one row per mn × cn × data_time × code: the
-- long value rows of stg_cems__values pivoted into Avg/Min/Max/ZsAvg/ZsMin/ZsMax/Cou columns.
-- Flue-gas channels (flow, O2, temperature, …) are rows here too; marts turn them into columns.
with cems_values as (
    select * from {{ ref('stg_cems__values') }}
    where period_kind in ('minute', 'hour')
),

pivoted as (
    select
        mn,
        cn,
        period_kind,
        data_time,
        pollutant_code,
        max(value) filter (where field = 'Avg') as avg_value,
        max(value) filter (where field = 'Min') as min_value,
        max(value) filter (where field = 'Max') as max_value,
        max(value) filter (where field = 'ZsAvg') as zs_avg_value,
        max(value) filter (where field = 'ZsMin') as zs_min_value,
        max(value) filter (where field = 'ZsMax') as zs_max_value,
        max(value) filter (where field = 'Cou') as cou_value,
        max(unit) filter (where field in ('Avg', 'Rtd')) as unit,
        max(flag) as flag,
        max(flag_2017) as flag_2017,
        max(protocol_version) as protocol_version,
        min(source_file) as source_file,
        min(line_no) as line_no
    from cems_values
    group by mn, cn, period_kind, data_time, pollutant_code
)

select * from pivoted
