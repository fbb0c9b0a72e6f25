{{ config(meta={'dagster': {'ref': {'name': 'emissions'}}}) }}
-- VOC emissions of an enterprise whose activity ledger reports no VOC input cannot be checked
-- against a balance: every such row says so.
with input as (
    select distinct enterprise_id, year(period_month) as year
    from {{ ref('int_inventory__activity') }}
    where voc_content_pct > 0 and activity_quantity > 0 and category in ('solvent', 'raw_material')
)

select e.emission_id, e.enterprise_id, e.year, e.qa_flags
from {{ ref('emissions') }} as e
left join input as i on i.enterprise_id = e.enterprise_id and i.year = e.year
where e.pollutant = 'voc' and e.emissions_t > 0 and i.enterprise_id is null
    and coalesce(e.qa_flags, '') not like '%voc_input_not_reported%'
