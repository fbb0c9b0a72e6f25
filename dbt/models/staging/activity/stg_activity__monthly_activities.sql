{#- Units as written -> (canonical unit, multiplier). 万 = 10⁴. An unknown unit keeps its value and
    its own name, with is_unit_known = false, so nothing is silently rescaled. -#}
{%- set units = [
    (['t', '吨'], 't', 1),
    (['kg', '千克', '公斤'], 't', 0.001),
    (['万立方米', '10^4 m3', '10^4m3', '万m3', '万nm3'], 'm3', 10000),
    (['m3', '立方米', 'nm3'], 'm3', 1),
    (['万块标砖', '10^4 bricks'], 'standard_bricks', 10000),
    (['万平方米', '10^4 m2'], 'm2', 10000),
    (['万张'], 'sheets', 10000),
    (['万件'], 'pieces', 10000),
    (['件'], 'pieces', 1),
] -%}
with source as (
    select * from {{ source('raw', 'activity') }}
),

renamed as (
    select
        -- ids
        trim(enterprise_id) as enterprise_id,
        nullif(trim(unit_id), '') as unit_id,
        -- descriptors
        period,
        lower(trim(category)) as category,
        trim(item) as item,
        -- measurements as written
        quantity,
        trim(unit) as unit,
        -- measurements in the canonical unit
        case
        {%- for names, canonical, multiplier in units %}
            when lower(trim(unit)) in ('{{ names | map('lower') | join("', '") }}') then '{{ canonical }}'
        {%- endfor %}
            else trim(unit)
        end as canonical_unit,
        quantity * case
        {%- for names, canonical, multiplier in units %}
            when lower(trim(unit)) in ('{{ names | map('lower') | join("', '") }}') then {{ multiplier }}
        {%- endfor %}
            else 1
        end as quantity_canonical,
        coalesce(lower(trim(unit)) in (
        {%- for names, canonical, multiplier in units -%}
            '{{ names | map('lower') | join("', '") }}'{% if not loop.last %}, {% endif %}
        {%- endfor -%}
        ), false) as is_unit_known,
        sulfur_pct,
        ash_pct,
        voc_content_pct,
        -- lineage
        source_file,
        line_no,
        sheet
    from source
)

select * from renamed
