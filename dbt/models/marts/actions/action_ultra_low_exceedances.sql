-- marts.action_ultra_low_exceedances: valid CEMS hours whose converted concentration is above the
-- plan's ultra-low limits (tasks 1, 17; limits in the inventory_plan_limits seed).
-- Grain: mn × pollutant_code × hour_start × limit_id. Task 1 limits (scope_permit_ultra_low) apply to
-- outlets whose permit limit is already at or below them (held to ultra-low: retrofitted or new);
-- task 17's fertilizer limit applies by industry and outlet name whatever the permit says.
with limits as (
    select
        l.*,
        case l.task_no when 1 then 'T1-ULTRA-LOW' when 17 then 'T17-FERTILIZER-PM' end as rule_id
    from {{ ref('inventory_plan_limits') }} as l
),

outlets as (
    select
        o.enterprise_id, o.outlet_id, nullif(trim(o.mn), '') as mn, o.outlet_name, o.unit_id,
        {{ inventory_code('e.key_industry') }} as key_industry
    from {{ ref('stg_registry__outlets') }} as o
    left join {{ ref('stg_registry__enterprises') }} as e on e.enterprise_id = o.enterprise_id
),

permit_limits as (
    select mn, pollutant_code, limit_mg_m3 from {{ ref('stg_registry__outlet_limits') }}
),

scoped as (
    -- which limits apply to which outlet
    select o.*, l.limit_id, l.rule_id, l.pollutant_code, l.limit_mg_m3, pl.limit_mg_m3 as permit_limit_mg_m3
    from outlets as o
    inner join limits as l
        on (l.scope_key_industry is null or l.scope_key_industry = o.key_industry)
        and (l.scope_outlet_name_pattern is null
             or {{ regex_matches("coalesce(o.outlet_name, '')", "l.scope_outlet_name_pattern") }})
    left join permit_limits as pl on pl.mn = o.mn and pl.pollutant_code = l.pollutant_code
    where o.mn is not null
        and (not coalesce(l.scope_permit_ultra_low, false) or pl.limit_mg_m3 <= l.limit_mg_m3)
),

exceed as (
    select
        s.*, h.hour_start, h.avg_converted, h.avg_measured, h.o2, h.flag
    from {{ ref('cems_hourly') }} as h
    inner join scoped as s on s.mn = h.mn and s.pollutant_code = h.pollutant_code
    where h.is_valid and h.avg_converted > s.limit_mg_m3
)

select
    {{ inventory_rule_columns('r') }},
    x.limit_id,
    x.enterprise_id,
    e.name as enterprise_name,
    e.township,
    x.outlet_id,
    x.unit_id,
    x.mn,
    x.pollutant_code,
    x.hour_start,
    x.avg_converted as converted_mg_m3,
    x.limit_mg_m3,
    x.permit_limit_mg_m3,
    x.avg_converted / x.limit_mg_m3 as exceedance_ratio,
    cast(x.hour_start as date) as basis_date,
    {{ inventory_as_of_date() }} as as_of_date,
    'hour=' || {{ format_time("x.hour_start", "%Y-%m-%d %H:%M") }} || '; converted=' || cast({{ round_exact("x.avg_converted", 2) }} as string)
        || ' mg/m3 > ' || cast(x.limit_mg_m3 as string) || '; measured='
        || coalesce(cast({{ round_exact("x.avg_measured", 2) }} as string), '?') || '; o2=' || coalesce(cast({{ round_exact("x.o2", 2) }} as string), '?')
        || '; flag=' || coalesce(x.flag, '?')
        || '; permit_limit=' || coalesce(cast(x.permit_limit_mg_m3 as string), 'none') as evidence
from exceed as x
inner join {{ ref('inventory_action_rules') }} as r on r.rule_id = x.rule_id
left join {{ ref('stg_registry__enterprises') }} as e on e.enterprise_id = x.enterprise_id
