-- marts.inventory_coverage: every producing emission point × month × pollutant it emits, with the
-- estimate that covers it or the named reason it has none (核算覆盖). Grain: point_id × pollutant ×
-- period_month. Producing: the point's activity (or, for a unit-less outlet, its enterprise's) is
-- positive that month, or its CEMS shows the source operating. Pollutants it emits: those of its
-- kind and fuel (inventory_expected_pollutants) plus every pollutant limited, tested or monitored
-- at its outlets. A unit whose gas leaves through another unit's stack is covered by that point.
with points as (
    select * from {{ ref('int_inventory__emission_points') }}
),

units as (
    select * from {{ ref('int_inventory__units') }}
),

hours as (
    select * from {{ ref('int_inventory__operating_hours') }}
),

producing as (
    select h.point_id, h.period_month
    from hours as h
    -- activity, or CEMS operation; an enterprise that reports no activity at all counts as producing
    where coalesce(h.has_activity, true) or (h.operating_hours_source = 'cems' and h.operating_hours > 0)
),

expected_by_kind as (
    select p.point_id, e.pollutant, 'kind: ' || e.reason as expected_because
    from points as p
    inner join units as u on u.enterprise_id = p.enterprise_id and u.unit_id = p.unit_id
    inner join {{ ref('inventory_expected_pollutants') }} as e
        on e.source_kind = u.source_kind
        and e.kiln_type in ('any', coalesce(u.kiln_type, ''))
        and e.fuel_item in ('any', coalesce(u.fuel_item, ''))
    where u.emits_combustion or u.source_kind = 'voc' or e.fuel_item = 'any'
),

expected_by_outlet as (
    select po.point_id, pl.pollutant, 'limit at ' || po.outlet_id as expected_because
    from {{ ref('int_inventory__point_outlets') }} as po
    inner join {{ ref('stg_registry__outlet_limits') }} as l on l.mn = po.mn
    inner join {{ ref('inventory_pollutants') }} as pl on pl.pollutant_code = l.pollutant_code
    union all
    select po.point_id, pl.pollutant, 'stack test at ' || po.outlet_id
    from {{ ref('int_inventory__point_outlets') }} as po
    inner join {{ ref('stg_manual_tests__stack_tests') }} as t
        on t.enterprise_id = po.enterprise_id and t.outlet_id = po.outlet_id
    inner join {{ ref('inventory_pollutants') }} as pl on pl.pollutant_code = t.pollutant_code
),

expected as (
    select point_id, pollutant, {{ ordered_string_agg("expected_because", "'; '", "expected_because", distinct=true) }}
        as expected_because
    from (select * from expected_by_kind union all select * from expected_by_outlet)
    group by point_id, pollutant
),

estimates as (
    -- a unit's estimate may sit on its stack point or on its fugitive area
    select
        e.enterprise_id, e.point_id, e.unit_id, e.pollutant, e.period_month, e.release_type,
        e.method, e.quality_grade, e.emissions_t
    from {{ ref('emissions') }} as e
),

covered as (
    select
        x.point_id, x.pollutant, pr.period_month, x.expected_because,
        {{ ordered_string_agg("es.method", "','", "es.method", distinct=true) }} as methods,
        min(es.quality_grade) as best_grade,
        sum(es.emissions_t) as emissions_t,
        count(es.method) > 0 as is_estimated
    from expected as x
    inner join producing as pr on pr.point_id = x.point_id
    inner join points as p on p.point_id = x.point_id
    left join estimates as es
        on es.pollutant = x.pollutant and es.period_month = pr.period_month
        and (es.point_id = x.point_id
            or (es.release_type = 'fugitive' and es.enterprise_id = p.enterprise_id and es.unit_id = p.unit_id))
    group by x.point_id, x.pollutant, pr.period_month, x.expected_because
),

-- why a producing point-month has no estimate for a pollutant
measurement as (
    select distinct po.point_id, pl.pollutant
    from {{ ref('int_inventory__point_outlets') }} as po
    inner join {{ ref('stg_manual_tests__stack_tests') }} as t
        on t.enterprise_id = po.enterprise_id and t.outlet_id = po.outlet_id
    inner join {{ ref('inventory_pollutants') }} as pl on pl.pollutant_code = t.pollutant_code
    union
    select distinct point_id, pollutant from {{ ref('int_inventory__cems_monthly') }}
),

factor_any as (
    select distinct point_id, pollutant from {{ ref('int_inventory__factor_monthly') }}
),

fuel_reported as (
    select distinct point_id from {{ ref('int_inventory__activity') }} where category = 'fuel'
)

select
    c.point_id,
    p.enterprise_id,
    p.unit_id,
    p.outlet_id,
    p.source_kind,
    u.kiln_type,
    u.fuel_item,
    c.pollutant,
    c.period_month,
    year(c.period_month) as year,
    c.expected_because,
    c.is_estimated,
    c.methods,
    c.best_grade,
    c.emissions_t,
    case when not c.is_estimated then
        case
            when m.point_id is null and f.point_id is null and fr.point_id is null
                and u.emits_combustion and c.pollutant in ('so2', 'nox', 'pm')
                then 'no_fuel_reported: the unit burns ' || coalesce(u.fuel_item, 'fuel')
                    || ' but the activity ledger reports no fuel for it, and no stack test or CEMS measures '
                    || c.pollutant
            when m.point_id is null and f.point_id is null
                then 'no_measurement_and_no_factor: no stack test or CEMS for ' || c.pollutant
                    || ' at this point and no factor in the library for '
                    || coalesce(u.source_kind, p.source_kind) || coalesce(' ' || u.kiln_type, '')
                    || coalesce(' burning ' || u.fuel_item, '')
            when m.point_id is not null and f.point_id is null
                then 'measurement_out_of_reach: the tests or CEMS are too far from this month and no factor applies'
            else 'activity_not_in_factor_units: activity reported in units no factor or capacity converts'
        end
    end as gap_reason
from covered as c
inner join points as p on p.point_id = c.point_id
left join units as u on u.enterprise_id = p.enterprise_id and u.unit_id = p.unit_id
left join measurement as m on m.point_id = c.point_id and m.pollutant = c.pollutant
left join factor_any as f on f.point_id = c.point_id and f.pollutant = c.pollutant
left join fuel_reported as fr on fr.point_id = c.point_id
