{#- The CEMS readings (raw.cems_readings: one row per packet × pollutant code run, a column per
    value field; see dagster_project/hj212/lake.py), renamed and converted: pressure sent in Pa is
    converted to kPa, per field group as the units say. Extra rows (vendor fields) keep `field`. -#}
{#- HJ 212-2017 Table 8 flags (+ Sd: HJ/T 212-2005 F, emission source stopped). T is "above the
    analyser's measuring range", not a limit exceedance. -#}
{%- set flag_meanings = {
    'N': 'normal 正常', 'F': 'instrument stopped 停运', 'M': 'maintenance 维护',
    'S': 'manually set value 手工设定', 'D': 'instrument fault 故障', 'C': 'calibration 校准',
    'T': 'above measuring range 超测定上限', 'B': 'communication failure 通讯异常',
    'Sd': 'emission source stopped 停炉 (2005 F)'} -%}
{%- set groups = {
    'unit': ['rtd', 'avg', 'min', 'max'],
    'zs_unit': ['zs_rtd', 'zs_avg', 'zs_min', 'zs_max'],
    'cou_unit': ['cou'],
    'state_unit': ['rs', 'rt'],
} -%}
with source as (
    select
        {{ star_except(source('raw', 'cems_readings'), ['unit', 'zs_unit', 'cou_unit', 'state_unit']) }},
        unit as unit_sent,
        zs_unit as zs_unit_sent,
        cou_unit as cou_unit_sent,
        state_unit as state_unit_sent
    from {{ source('raw', 'cems_readings') }}
),

renamed as (
    select
        -- ids
        source_file,
        line_no,
        qn,
        st,
        cn,
        mn,
        protocol_version,
        pollutant_code,
        code_sent,
        -- categories
        case cn
            when '2011' then 'realtime'
            when '2051' then 'minute'
            when '2061' then 'hour'
            when '2031' then 'day'
            else 'other'
        end as period_kind,
        coalesce(not {{ cems_is_pollutant('pollutant_code') }}, false) as is_flue_gas_parameter,
        -- measurements: pressure sent in Pa is converted to kPa; everything else as sent
        {%- for unit, columns in groups.items() %}
        {%- for c in columns %}
        case when {{ unit }}_sent = 'Pa' then {{ c }} / 1000.0 else {{ c }} end as {{ c }}_value,
        {%- endfor %}
        case when {{ unit }}_sent = 'Pa' then 'kPa' else {{ unit }}_sent end as {{ unit }},
        {%- endfor %}
        fields as fields_sent,
        field as extra_field,
        case when unit_sent = 'Pa' then value / 1000.0 else value end as extra_value,
        -- flags
        flag,
        flag_2017,
        case flag_2017
        {%- for f, meaning in flag_meanings.items() %}
            when '{{ f }}' then '{{ meaning }}'
        {%- endfor %}
            else 'unknown'
        end as flag_meaning,
        coalesce(flag_2017 = 'N', false) as is_normal_flag,
        coalesce(flag_2017 = 'Sd', false) as is_source_stopped_flag,
        eflag,
        -- packet quality
        crc_variant,
        length_ok,
        needs_merge,
        -- timestamps (local Beijing time; DataTime = period start)
        data_time,
        sample_time,
        -- lineage
        file_sha256,
        build_id
    from source
)

select * from renamed
