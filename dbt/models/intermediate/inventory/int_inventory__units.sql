-- Emission units (排放单元) from the boiler, kiln and VOC ledgers, plus units that appear only in
-- the activity ledger. Grain: enterprise_id × unit_id (a ledger unit id is unique per enterprise).
with boilers as (
    select
        enterprise_id, unit_id, 'boiler' as source_kind,
        {{ inventory_code('fuel') }} as fuel,
        capacity_t_h, {{ inventory_code('status') }} as status, commissioned_year,
        low_nox_burner,
        {{ inventory_code('dust_control') }} as dust_control,
        {{ inventory_code('desulfurization') }} as desulfurization,
        {{ inventory_code('denitrification') }} as denitrification,
        cast(null as varchar) as voc_control,
        cast(null as varchar) as capture_type,
        cast(null as varchar) as kiln_type,
        cast(null as varchar) as product,
        cast(null as boolean) as uses_ammonia_declared,
        1 as ledger_rank
    from {{ ref('stg_ledgers__boilers') }}
),

kilns as (
    select
        enterprise_id, unit_id, 'kiln' as source_kind,
        {{ inventory_code('fuel') }} as fuel,
        cast(null as double) as capacity_t_h, cast(null as varchar) as status,
        cast(null as bigint) as commissioned_year,
        cast(null as boolean) as low_nox_burner,
        {{ inventory_code('dust_control') }},
        {{ inventory_code('desulfurization') }},
        {{ inventory_code('denitrification') }},
        {{ inventory_code('voc_control') }},
        cast(null as varchar),
        {{ inventory_code('kiln_type') }},
        product,
        uses_ammonia,
        2
    from {{ ref('stg_ledgers__kilns') }}
),

voc as (
    select
        enterprise_id, unit_id, 'voc' as source_kind,
        cast(null as varchar), cast(null as double), cast(null as varchar), cast(null as bigint),
        cast(null as boolean),
        cast(null as varchar), cast(null as varchar), cast(null as varchar),
        {{ inventory_code('treatment_tech') }},
        {{ inventory_code('capture_type') }},
        cast(null as varchar), cast(null as varchar), cast(null as boolean),
        3
    from {{ ref('stg_ledgers__voc_sources') }}
),

activity_only as (
    -- Units named only in the activity ledger: solvents -> voc, fuel -> combustion, else process.
    select
        enterprise_id, unit_id,
        case
            when bool_or({{ inventory_code('category') }} = 'solvent') then 'voc'
            when bool_or({{ inventory_code('category') }} = 'fuel') then 'combustion'
            else 'process'
        end,
        cast(null as varchar), cast(null as double), cast(null as varchar), cast(null as bigint),
        cast(null as boolean),
        cast(null as varchar), cast(null as varchar), cast(null as varchar), cast(null as varchar),
        cast(null as varchar), cast(null as varchar), cast(null as varchar), cast(null as boolean),
        4
    from {{ ref('stg_activity__monthly_activities') }}
    where unit_id is not null
    group by enterprise_id, unit_id
),

unioned as (
    select * from boilers
    union all select * from kilns
    union all select * from voc
    union all select * from activity_only
),

controls as (
    select tech_code, control_category, uses_ammonia from {{ ref('inventory_control_efficiencies') }}
)

select
    u.enterprise_id,
    u.unit_id,
    u.source_kind,
    u.fuel,
    coalesce(fi.activity_item, u.fuel) as fuel_item,
    u.capacity_t_h,
    u.status,
    u.commissioned_year,
    u.low_nox_burner,
    u.dust_control,
    u.desulfurization,
    u.denitrification,
    u.voc_control,
    u.capture_type,
    u.kiln_type,
    u.product,
    -- the kiln ledger's answer, else any ammonia-based device on the path ('sncr+scr' -> both)
    coalesce(
        u.uses_ammonia_declared,
        exists (
            select 1 from controls as c
            where c.uses_ammonia
                and (
                    (c.control_category = 'desulfurization'
                        and list_contains(string_split(u.desulfurization, '+'), c.tech_code))
                    or (c.control_category = 'denitrification'
                        and list_contains(string_split(u.denitrification, '+'), c.tech_code))
                )
        )
    ) as uses_ammonia,
    u.ledger_rank = 4 as from_activity_only
from unioned as u
left join {{ ref('inventory_activity_items') }} as fi on fi.raw_item = u.fuel
-- a unit id listed in two ledgers keeps its first (boiler, kiln, voc, activity) entry
qualify row_number() over (partition by u.enterprise_id, u.unit_id order by u.ledger_rank) = 1
