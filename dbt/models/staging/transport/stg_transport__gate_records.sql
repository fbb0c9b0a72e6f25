{#- Clean transport (plan tasks 10, 14): non-road bulk modes, or China VI / electric trucks. -#}
{%- set clean_modes = ['rail', 'pipeline', 'belt'] -%}
{%- set clean_trucks = ['china6', 'electric'] -%}
with source as (
    select * from {{ source('raw', 'transport_gate') }}
),

renamed as (
    select
        -- ids
        source_file || '#' || coalesce(sheet, '') || '#' || cast(line_no as string) as gate_record_id,
        trim(enterprise_id) as enterprise_id,
        nullif(trim(plate_no), '') as plate_no,
        -- descriptors
        nullif(lower(trim(direction)), '') as direction,
        lower(trim(mode)) as mode,
        nullif(lower(replace(trim(emission_standard), ' ', '')), '') as emission_standard,
        nullif(trim(cargo), '') as cargo,
        -- categories
        coalesce(
            lower(trim(mode)) in ('{{ clean_modes | join("', '") }}')
            or (lower(trim(mode)) = 'road'
                and lower(replace(trim(emission_standard), ' ', '')) in ('{{ clean_trucks | join("', '") }}')),
            false
        ) as is_clean_transport,
        -- measurements
        tonnes,
        -- timestamps (local Beijing time)
        gate_time,
        -- lineage
        source_file,
        line_no,
        sheet
    from source
)

select * from renamed
