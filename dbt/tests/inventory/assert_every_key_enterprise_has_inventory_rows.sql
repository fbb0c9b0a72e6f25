{{ config(meta={'dagster': {'ref': {'name': 'inventory_key_industry'}}}) }}
-- Every key-industry enterprise in the registry has an inventory row for every inventory year
-- (task 23: full coverage, even when it reported nothing). Returns the missing pairs.
with key_enterprises as (
    select enterprise_id from {{ ref('stg_registry__enterprises') }}
    where nullif(trim(key_industry), '') is not null
),

years as (
    select distinct year from {{ ref('inventory_key_industry') }}
)

select k.enterprise_id, y.year
from key_enterprises as k
cross join years as y
left join {{ ref('inventory_key_industry') }} as i
    on i.enterprise_id = k.enterprise_id and i.year = y.year
where i.enterprise_id is null
union all
-- and there is at least one year whenever there is at least one key enterprise
select k.enterprise_id, null
from key_enterprises as k
where not exists (select 1 from years)
