-- Emission units (排放单元) from the boiler, kiln and VOC ledgers, plus units that appear only in
-- the activity ledger. Grain: enterprise_id × unit_id (a ledger unit id is unique per enterprise).
--  * capacity_per_hour: the unit's rated throughput per hour in capacity_activity_unit — boilers:
--    steam t/h; kilns: the ledger's annual design capacity ÷ design_hours_per_year.
--  * feeds_unit_id: a unit whose gas leaves through another unit's stack — a fuel-gas generator
--    (煤气发生炉) feeds the furnaces that burn producer gas; a dryer on kiln waste heat shares the
--    kiln's stack. Its activity is the fed unit's input, and it is never an emission point itself.
--  * emits_combustion: false for electric units and waste-heat dryers (no fuel of their own).
with boilers as (
    select
        enterprise_id, unit_id, 'boiler' as source_kind,
        {{ inventory_code('fuel') }} as fuel,
        capacity_t_h,
        cast(null as double) as capacity_annual,
        cast(null as string) as capacity_unit,
        {{ inventory_code('status') }} as status, commissioned_year,
        low_nox_burner,
        {{ inventory_code('dust_control') }} as dust_control,
        {{ inventory_code('desulfurization') }} as desulfurization,
        {{ inventory_code('denitrification') }} as denitrification,
        cast(null as string) as voc_control,
        cast(null as string) as capture_type,
        cast(null as string) as kiln_type,
        cast(null as string) as product,
        cast(null as boolean) as uses_ammonia_declared,
        1 as ledger_rank
    from {{ ref('stg_ledgers__boilers') }}
),

kilns as (
    select
        enterprise_id, unit_id, 'kiln' as source_kind,
        {{ inventory_code('fuel') }} as fuel,
        cast(null as double) as capacity_t_h,
        capacity,
        {{ inventory_code('capacity_unit') }},
        cast(null as string) as status,
        cast(null as bigint) as commissioned_year,
        cast(null as boolean) as low_nox_burner,
        {{ inventory_code('dust_control') }},
        {{ inventory_code('desulfurization') }},
        {{ inventory_code('denitrification') }},
        {{ inventory_code('voc_control') }},
        cast(null as string),
        {{ inventory_code('kiln_type') }},
        product,
        uses_ammonia,
        2
    from {{ ref('stg_ledgers__kilns') }}
),

voc as (
    select
        enterprise_id, unit_id, 'voc' as source_kind,
        cast(null as string), cast(null as double), cast(null as double), cast(null as string),
        cast(null as string), cast(null as bigint),
        cast(null as boolean),
        cast(null as string), cast(null as string), cast(null as string),
        {{ inventory_code('treatment_tech') }},
        {{ inventory_code('capture_type') }},
        cast(null as string), cast(null as string), cast(null as boolean),
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
        cast(null as string), cast(null as double), cast(null as double), cast(null as string),
        cast(null as string), cast(null as bigint),
        cast(null as boolean),
        cast(null as string), cast(null as string), cast(null as string), cast(null as string),
        cast(null as string), cast(null as string), cast(null as string), cast(null as boolean),
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

-- a unit id listed in two ledgers keeps its first (boiler, kiln, voc, activity) entry
units as (
    select * from unioned
    qualify row_number() over (partition by enterprise_id, unit_id order by ledger_rank) = 1
),

controls as (
    select tech_code, control_category, uses_ammonia from {{ ref('inventory_control_efficiencies') }}
),

-- the unit whose stack releases a unit's gas (see header)
fed as (
    select
        u.enterprise_id,
        u.unit_id,
        min(t.unit_id) as feeds_unit_id
    from units as u
    inner join units as t
        on t.enterprise_id = u.enterprise_id
        and t.unit_id <> u.unit_id
        and (
            (u.kiln_type = 'gas_generator' and t.fuel = 'producer_gas')
            or (u.fuel = 'kiln_waste_heat' and t.source_kind = 'kiln' and t.kiln_type <> 'dryer'
                and coalesce(t.fuel, '') <> 'kiln_waste_heat')
        )
    group by u.enterprise_id, u.unit_id
)

select
    u.enterprise_id,
    u.unit_id,
    u.source_kind,
    u.fuel,
    coalesce(fi.activity_item, u.fuel) as fuel_item,
    u.capacity_t_h,
    u.capacity_annual,
    u.capacity_unit,
    cu.activity_unit as capacity_activity_unit,
    case
        when u.source_kind = 'boiler' then u.capacity_t_h
        else u.capacity_annual * cu.multiplier / {{ inventory_param('design_hours_per_year') }}
    end as capacity_per_hour,
    case when u.source_kind = 'boiler' then 't steam' else cu.activity_unit end as capacity_per_hour_unit,
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
                        and {{ list_has(split_text("u.desulfurization", "+"), "c.tech_code") }})
                    or (c.control_category = 'denitrification'
                        and {{ list_has(split_text("u.denitrification", "+"), "c.tech_code") }})
                )
        )
    ) as uses_ammonia,
    f.feeds_unit_id,
    coalesce(u.fuel, '') not in ('electric', 'kiln_waste_heat') as emits_combustion,
    u.ledger_rank = 4 as from_activity_only
from units as u
left join {{ ref('inventory_activity_items') }} as fi on fi.raw_item = u.fuel
left join fed as f on f.enterprise_id = u.enterprise_id and f.unit_id = u.unit_id
-- annual design capacity as written ('万块/年', 't/年'): the unit before '/年'
left join {{ ref('inventory_activity_units') }} as cu
    on lower(cu.raw_unit) = regexp_replace(u.capacity_unit, '/(年|a|yr)$', '')
