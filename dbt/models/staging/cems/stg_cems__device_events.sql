with source as (
    select
        *,
        {{ column_or_null('raw', 'cems_device_events', 'build_id', 'string') }} as build_id_sent
    from {{ source('raw', 'cems_device_events') }}
),

renamed as (
    select
        -- ids
        source_file || '#' || cast(line_no as string) as device_event_id,
        mn,
        qn,
        st,
        cn,
        protocol_version,
        -- categories
        event_type,
        detail,
        -- timestamps (local Beijing time)
        data_time,
        {{ try_parse_timestamp("regexp_extract(detail, 'RestartTime=([0-9]{14})', 1)", "%Y%m%d%H%M%S") }} as restart_time,
        -- lineage
        source_file,
        line_no,
        build_id_sent as build_id
    from source
)

select * from renamed
