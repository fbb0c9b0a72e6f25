with source as (
    select * from {{ source('raw', 'kilns') }}
),

renamed as (
    select
        -- ids
        trim(enterprise_id) as enterprise_id,
        trim(unit_id) as unit_id,
        -- descriptors (enumerations lower-cased, empty = null)
        nullif(lower(trim(kiln_type)), '') as kiln_type,
        nullif(trim(product), '') as product,
        nullif(lower(trim(fuel)), '') as fuel,
        nullif(trim(capacity_unit), '') as capacity_unit,
        nullif(lower(trim(dust_control)), '') as dust_control,
        nullif(lower(trim(desulfurization)), '') as desulfurization,
        nullif(lower(trim(denitrification)), '') as denitrification,
        nullif(lower(trim(voc_control)), '') as voc_control,
        nullif(trim(damage_description), '') as damage_description,
        -- booleans
        uses_ammonia,
        ammonia_slip_monitoring,
        damage_found,
        -- measurements
        capacity,
        -- dates
        found_date,
        rectification_deadline,
        rectified_date,
        -- lineage
        source_file,
        line_no,
        sheet
    from source
)

select * from renamed
