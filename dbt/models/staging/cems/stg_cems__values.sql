{#- HJ 212-2017 Table 8 flags (+ Sd: HJ/T 212-2005 F, emission source stopped). T is "above the
    analyser's measuring range", not a limit exceedance. -#}
{%- set flag_meanings = {
    'N': 'normal 正常', 'F': 'instrument stopped 停运', 'M': 'maintenance 维护',
    'S': 'manually set value 手工设定', 'D': 'instrument fault 故障', 'C': 'calibration 校准',
    'T': 'above measuring range 超测定上限', 'B': 'communication failure 通讯异常',
    'Sd': 'emission source stopped 停炉 (2005 F)'} -%}
with source as (
    select
        *,
        {{ column_or_null('raw', 'cems_values', 'unit', 'varchar') }} as unit_sent,
        {{ column_or_null('raw', 'cems_values', 'code_sent', 'varchar') }} as code_as_sent,
        {{ column_or_null('raw', 'cems_values', 'eflag', 'varchar') }} as eflag_sent,
        {{ column_or_null('raw', 'cems_values', 'sample_time', 'timestamp') }} as sample_time_sent,
        {{ column_or_null('raw', 'cems_values', 'crc_variant', 'varchar') }} as crc_variant_sent,
        {{ column_or_null('raw', 'cems_values', 'length_ok', 'boolean') }} as length_ok_sent,
        {{ column_or_null('raw', 'cems_values', 'build_id', 'varchar') }} as build_id_sent
    from {{ source('raw', 'cems_values') }}
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
        code_as_sent as code_sent,
        field,
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
        case when unit_sent = 'Pa' then value / 1000.0 else value end as value,
        case when unit_sent = 'Pa' then 'kPa' else unit_sent end as unit,
        value as value_as_sent,
        unit_sent as unit_as_sent,
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
        eflag_sent as eflag,
        -- packet quality
        crc_variant_sent as crc_variant,
        length_ok_sent as length_ok,
        -- timestamps (local Beijing time; DataTime = period start)
        data_time,
        sample_time_sent as sample_time,
        -- lineage
        build_id_sent as build_id
    from source
)

select * from renamed
