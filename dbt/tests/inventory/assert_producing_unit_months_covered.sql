{{ config(meta={'dagster': {'ref': {'name': 'inventory_key_industry'}}}) }}
-- Coverage, recomputed from the ledgers: every boiler, kiln and VOC unit-month with positive
-- activity has, for each pollutant its kind emits (inventory_expected_pollutants), an estimate in
-- marts.emissions or a counted, named gap in marts.inventory_key_industry. Returns what is neither.
with producing as (
    select a.enterprise_id, a.unit_id, a.period_month
    from {{ ref('int_inventory__activity') }} as a
    where a.unit_id is not null
    group by a.enterprise_id, a.unit_id, a.period_month
    having sum(a.activity_quantity) > 0
),

expected as (
    select p.enterprise_id, p.unit_id, p.period_month, e.pollutant
    from producing as p
    inner join {{ ref('int_inventory__units') }} as u
        on u.enterprise_id = p.enterprise_id and u.unit_id = p.unit_id
    inner join {{ ref('inventory_expected_pollutants') }} as e
        on e.source_kind = u.source_kind
        and e.kiln_type in ('any', coalesce(u.kiln_type, ''))
        and e.fuel_item in ('any', coalesce(u.fuel_item, ''))
    where u.feeds_unit_id is null and (u.emits_combustion or u.source_kind = 'voc' or e.fuel_item = 'any')
),

estimated as (
    select distinct enterprise_id, unit_id, period_month, pollutant
    from {{ ref('emissions') }}
),

counted as (
    select enterprise_id, year, coverage_gap_count, coverage_gaps
    from {{ ref('inventory_key_industry') }}
)

select x.*
from expected as x
left join estimated as s
    on s.enterprise_id = x.enterprise_id and s.unit_id = x.unit_id
    and s.period_month = x.period_month and s.pollutant = x.pollutant
left join counted as c on c.enterprise_id = x.enterprise_id and c.year = year(x.period_month)
where s.unit_id is null
    and not (coalesce(c.coverage_gap_count, 0) > 0
        and c.coverage_gaps like '%' || x.unit_id || ' ' || x.pollutant || ':%')
    -- units of enterprises outside the key-industry registry have no inventory_key_industry row
    and exists (
        select 1 from {{ ref('stg_registry__enterprises') }} as r
        where r.enterprise_id = x.enterprise_id and nullif(trim(r.key_industry), '') is not null
    )
