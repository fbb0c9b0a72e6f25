{{ config(meta={'dagster': {'ref': {'name': 'emissions'}}}) }}
-- Mass balance (VOCs物料衡算): no enterprise emits more VOC in a year than the VOC in what it bought
-- (solvents × VOC content, plus feedstock × VOC content) — stack and fugitive together. Enterprises
-- that report no VOC input are checked by assert_voc_without_input_is_flagged instead.
with input as (
    select enterprise_id, year(period_month) as year,
        sum(activity_quantity * voc_content_pct / 100.0) as voc_input_t
    from {{ ref('int_inventory__activity') }}
    where voc_content_pct is not null and activity_quantity is not null
        and category in ('solvent', 'raw_material')
    group by enterprise_id, year(period_month)
),

emitted as (
    select enterprise_id, year, sum(emissions_t) as voc_t
    from {{ ref('emissions') }}
    where pollutant = 'voc'
    group by enterprise_id, year
)

select e.enterprise_id, e.year, e.voc_t, i.voc_input_t
from emitted as e
inner join input as i on i.enterprise_id = e.enterprise_id and i.year = e.year
where i.voc_input_t > 0 and e.voc_t > i.voc_input_t + 1e-6
