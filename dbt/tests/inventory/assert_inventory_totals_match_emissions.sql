{{ config(meta={'dagster': {'ref': {'name': 'inventory_key_industry'}}}) }}
-- The inventory's per-enterprise, per-year pollutant totals equal the sum of marts.emissions.
with e as (
    select enterprise_id, year, pollutant, sum(emissions_t) as t
    from {{ ref('emissions') }}
    group by all
),

i as (
    select enterprise_id, year, 'so2' as pollutant, so2_t as t from {{ ref('inventory_key_industry') }}
    union all select enterprise_id, year, 'nox', nox_t from {{ ref('inventory_key_industry') }}
    union all select enterprise_id, year, 'pm', pm_t from {{ ref('inventory_key_industry') }}
    union all select enterprise_id, year, 'voc', voc_t from {{ ref('inventory_key_industry') }}
    union all select enterprise_id, year, 'nh3', nh3_t from {{ ref('inventory_key_industry') }}
)

select i.enterprise_id, i.year, i.pollutant, i.t as inventory_t, e.t as emissions_t
from i
inner join e on e.enterprise_id = i.enterprise_id and e.year = i.year and e.pollutant = i.pollutant
where abs(coalesce(i.t, 0) - e.t) > 1e-6
