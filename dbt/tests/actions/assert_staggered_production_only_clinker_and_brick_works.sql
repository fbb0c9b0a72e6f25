{{ config(meta={'dagster': {'ref': {'name': 'action_performance_grades'}}}) }}
-- Task 32 names 水泥熟料 and 砖瓦: an enterprise on staggered production must be of the rule's key
-- industries (bricks) or produce one of its products (clinker, brick) by its kiln ledger or its
-- activity ledger. A cement grinding station makes no clinker. Returns the enterprises listed
-- without either.
with rule_scope as (
    select
        {{ split_text("coalesce(scope_key_industry, '')", "|") }} as industries,
        {{ split_text("coalesce(scope_product, '')", "|") }} as product_items
    from {{ ref('inventory_action_rules') }}
    where rule_id = 'T32-STAGGERED-PRODUCTION'
),

produced as (
    select k.enterprise_id, lower(trim(k.product)) as item from {{ ref('stg_ledgers__kilns') }} as k
    union
    select a.enterprise_id, lower(trim(a.item)) from {{ ref('stg_activity__monthly_activities') }} as a
    where a.category = 'product'
)

select a.enterprise_id, a.key_industry
from {{ ref('action_performance_grades') }} as a
cross join rule_scope as s
where a.rule_id = 'T32-STAGGERED-PRODUCTION'
    and not {{ list_has("s.industries", "lower(trim(a.key_industry))") }}
    and not exists (
        select 1
        from produced as p
        inner join {{ ref('inventory_activity_items') }} as i on lower(trim(i.raw_item)) = p.item
        where p.enterprise_id = a.enterprise_id and {{ list_has("s.product_items", "i.activity_item") }}
    )
