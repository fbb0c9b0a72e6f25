with source as (
    select * from {{ source('raw', 'dustfall') }}
),

renamed as (
    select
        -- ids
        trim(point_code) as point_code,
        -- descriptors
        nullif(trim(point_name), '') as point_name,
        trim(township) as township,
        -- timestamps
        period as period_month,
        -- measurements
        dustfall_t_km2_month,
        sampling_days,
        -- lineage
        source_file,
        line_no,
        sheet
    from source
)

select * from renamed
