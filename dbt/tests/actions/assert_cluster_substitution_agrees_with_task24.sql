{{ config(meta={'dagster': {'ref': {'name': 'action_voc_clusters'}}}) }}
-- Tasks 24 and 29 agree: an enterprise on a task-24 list (pending or content check) whose industry is a
-- task-29 source-substitution industry and that shares its township and industry with at least
-- the rule's threshold of enterprises (outside a park) is on task 29's source-substitution list;
-- and no enterprise is on that list without a material not shown to be low-VOC. Returns the
-- disagreements.
with rule as (
    select threshold_num, {{ split_text("coalesce(scope_key_industry, '')", "|") }} as industries
    from {{ ref('inventory_action_rules') }}
    where rule_id = 'T29-SOURCE-SUBSTITUTION'
),

registry as (
    select
        enterprise_id, township, lower(trim(key_industry)) as key_industry, coalesce(in_park, false) as in_park,
        count(*) over (partition by township, lower(trim(key_industry)), coalesce(in_park, false)) as peers
    from {{ ref('stg_registry__enterprises') }}
),

expected as (
    select distinct v.enterprise_id
    from {{ ref('action_voc') }} as v
    inner join registry as g on g.enterprise_id = v.enterprise_id
    cross join rule as r
    where v.rule_id in ('T24-SUBSTITUTION-PENDING', 'T24-LOW-VOC-CONTENT-CHECK')
        and not g.in_park
        and {{ list_has("r.industries", "g.key_industry") }}
        and g.peers >= r.threshold_num
),

listed as (
    select enterprise_id, solvent_items from {{ ref('action_voc_clusters') }}
    where rule_id = 'T29-SOURCE-SUBSTITUTION'
)

select x.enterprise_id, 'pending under task 24 but missing from task 29' as problem
from expected as x
left join listed as l on l.enterprise_id = x.enterprise_id
where l.enterprise_id is null
union all
select l.enterprise_id, 'on task 29 without a solvent-type purchase'
from listed as l
where l.solvent_items is null
