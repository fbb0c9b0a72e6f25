with source as (
    select * from {{ source('raw', 'registry_outlet_limits') }}
),

renamed as (
    select
        -- ids
        trim(mn) as mn,
        lower(trim(pollutant_code)) as pollutant_code,
        -- measurements (mg/m³)
        limit_mg_m3,
        analyzer_range,
        detection_limit,
        -- lineage
        source_file,
        line_no,
        sheet
    from source
)

select * from renamed
