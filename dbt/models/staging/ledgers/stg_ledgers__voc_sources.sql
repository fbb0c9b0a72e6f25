with source as (
    select * from {{ source('raw', 'voc_sources') }}
),

renamed as (
    select
        -- ids
        trim(enterprise_id) as enterprise_id,
        trim(unit_id) as unit_id,
        -- descriptors (enumerations lower-cased, empty = null)
        nullif(lower(trim(process)), '') as process,
        nullif(trim(material), '') as material,
        nullif(lower(trim(capture_type)), '') as capture_type,
        nullif(lower(trim(treatment_tech)), '') as treatment_tech,
        nullif(lower(trim(bypass)), '') as bypass,
        -- booleans
        low_voc_substituted,
        ldar_done,
        -- counts and durations
        seal_points,
        carbon_interval_days,
        combustion_temp_records_months,
        -- dates
        carbon_last_replaced,
        -- lineage
        source_file,
        line_no,
        sheet
    from source
)

select * from renamed
