with source as (
    select * from {{ source('raw', 'road_dust') }}
),

renamed as (
    select
        -- ids
        trim(road_code) as road_code,
        -- descriptors
        trim(road_name) as road_name,
        lower(trim(road_class)) as road_class,
        trim(township) as township,
        -- timestamps
        period as period_month,
        -- measurements
        pm10_ug_m3,
        dust_load_g_m2,
        -- lineage
        source_file,
        line_no,
        sheet
    from source
)

select * from renamed
