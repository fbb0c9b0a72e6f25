with source as (
    select * from {{ source('raw', 'manual_tests') }}
),

renamed as (
    select
        -- ids
        source_file || '#' || coalesce(sheet, '') || '#' || cast(line_no as string) as stack_test_id,
        trim(enterprise_id) as enterprise_id,
        trim(outlet_id) as outlet_id,
        lower(trim(pollutant_code)) as pollutant_code,
        nullif(trim(report_no), '') as report_no,
        -- categories: comparison tests (比对监测) arrive in their own files
        case when source_file ilike '%comparison%' or sheet = '比对监测' then 'comparison' else 'routine' end
            as test_kind,
        -- measurements
        converted_mg_m3,
        flow_m3_h,
        flow_m3_h / 3600.0 as flow_m3_s,
        o2_pct,
        -- dates
        test_date,
        -- lineage
        source_file,
        line_no,
        sheet
    from source
)

select * from renamed
