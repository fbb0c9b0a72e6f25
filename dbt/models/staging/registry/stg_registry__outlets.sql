with source as (
    select * from {{ source('raw', 'registry_outlets') }}
),

renamed as (
    select
        -- ids
        trim(enterprise_id) as enterprise_id,
        trim(outlet_id) as outlet_id,
        nullif(trim(mn), '') as mn,
        nullif(trim(unit_id), '') as unit_id,
        -- descriptors
        trim(outlet_name) as outlet_name,
        lower(trim(source_kind)) as source_kind,
        nullif(trim(mn), '') is not null as has_cems,
        coalesce(networked, false) as networked,
        -- measurements
        reference_o2,
        stack_height_m,
        -- lineage
        source_file,
        line_no,
        sheet
    from source
)

select * from renamed
