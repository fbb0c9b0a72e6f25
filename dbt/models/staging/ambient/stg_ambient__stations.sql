with source as (
    select * from {{ source('raw', 'ambient_stations') }}
),

renamed as (
    select
        -- ids
        trim(station_code) as station_code,
        -- descriptors
        trim(station_name) as station_name,
        lower(trim(station_type)) as station_type,
        trim(township) as township,
        six_pollutant_since,
        -- location
        longitude,
        latitude,
        -- lineage
        source_file,
        line_no
    from source
)

select * from renamed
