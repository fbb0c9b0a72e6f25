with source as (
    select * from {{ source('raw', 'registry_enterprises') }}
),

renamed as (
    select
        -- ids
        trim(enterprise_id) as enterprise_id,
        trim(permit_no) as permit_no,
        -- descriptors
        trim(name) as name,
        trim(township) as township,
        trim(industry_code) as industry_code,
        lower(trim(key_industry)) as key_industry,
        nullif(upper(trim(performance_grade)), '') as performance_grade,
        coalesce(in_park, false) as in_park,
        -- capacities (in capacity_unit)
        eia_capacity,
        permit_capacity,
        prior_year_output,
        nullif(trim(capacity_unit), '') as capacity_unit,
        -- location
        longitude,
        latitude,
        -- lineage
        source_file,
        line_no,
        sheet
    from source
)

select * from renamed
