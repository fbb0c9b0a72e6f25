with source as (
    select * from {{ source('raw', 'boilers') }}
),

renamed as (
    select
        -- ids
        trim(enterprise_id) as enterprise_id,
        trim(unit_id) as unit_id,
        -- descriptors (enumerations lower-cased, empty = null)
        nullif(lower(trim(fuel)), '') as fuel,
        nullif(lower(trim(status)), '') as status,
        commissioned_year,
        nullif(lower(trim(fgr_valve)), '') as fgr_valve,
        nullif(lower(trim(co_firing)), '') as co_firing,
        nullif(lower(trim(dust_control)), '') as dust_control,
        nullif(lower(trim(desulfurization)), '') as desulfurization,
        nullif(lower(trim(denitrification)), '') as denitrification,
        -- booleans
        low_nox_burner,
        dedicated_burner,
        auto_monitoring,
        monitoring_networked,
        -- measurements
        capacity_t_h,
        -- lineage
        source_file,
        line_no,
        sheet
    from source
)

select * from renamed
