-- Minute (CN 2051) and hourly (CN 2061) readings, one row per mn × cn × data_time × code, with
-- Avg/Min/Max/ZsAvg/ZsMin/ZsMax/Cou as columns (stg_cems__readings stores them so). A view: the
-- readings live in Parquet (a county-year holds hundreds of millions) and every model reading
-- them filters by day. The few readings whose key is not unique as stored (parts of split
-- packets, a code sent twice in a packet, vendor fields: `needs_merge`) are merged here as the
-- long rows were: the largest value per field, the first file and line.
-- Flue-gas channels (flow, O2, temperature, …) are rows here too; marts turn them into columns.
{{ config(materialized='view') }}
{%- set fields = {'avg': 'Avg', 'min': 'Min', 'max': 'Max', 'zs_avg': 'ZsAvg', 'zs_min': 'ZsMin',
                  'zs_max': 'ZsMax', 'cou': 'Cou'} %}
-- `readings` is read three times: inlined, each read gets the reader's day filter (see the macro).
with readings as {{ not_materialized_cte() }} (
    select * from {{ ref('stg_cems__readings') }}
    where cn in ('2051', '2061')
),

merge_keys as (
    select distinct mn, cn, data_time from readings where needs_merge
),

single as (
    select
        mn,
        cn,
        period_kind,
        data_time,
        pollutant_code,
        {%- for c in fields %}
        {{ c }}_value,
        {%- endfor %}
        case when fields_sent & 3 <> 0 then unit end as unit,
        flag,
        flag_2017,
        protocol_version,
        source_file,
        line_no
    from readings
    anti join merge_keys using (mn, cn, data_time)
),

merged as (
    select
        mn,
        cn,
        period_kind,
        data_time,
        pollutant_code,
        {%- for c, field in fields.items() %}
        max(case when extra_field is null then {{ c }}_value when extra_field = '{{ field }}' then extra_value end)
            as {{ c }}_value,
        {%- endfor %}
        max(case
            when extra_field is null and fields_sent & 3 <> 0 then unit
            when extra_field in ('Avg', 'Rtd') then unit
        end) as unit,
        max(flag) as flag,
        max(flag_2017) as flag_2017,
        max(protocol_version) as protocol_version,
        min(source_file) as source_file,
        min(line_no) as line_no
    from readings
    semi join merge_keys using (mn, cn, data_time)
    group by mn, cn, period_kind, data_time, pollutant_code
)

select * from single
union all
select * from merged
