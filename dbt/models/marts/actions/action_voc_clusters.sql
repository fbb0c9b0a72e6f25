-- marts.action_voc_clusters: VOC parks and industry clusters of plan task 29. Grain: enterprise ×
-- rule_id. A park is the in-park enterprises of a township; a cluster is the enterprises of one key
-- industry in one township outside a park, at least the rule's threshold_num of them. A park or
-- cluster is in scope when a member uses solvent-type coatings, inks, adhesives or cleaners
-- (int_actions__substitution_status: not shown to be low-VOC) or buys organic raw materials (VOC-bearing
-- raw materials: organic chemical production). Its members are then listed:
--   T29-SOURCE-SUBSTITUTION  members of the rule's industries (furniture, coil coating, leather,
--                            shoes, printing) still on solvent-type materials
--   T29-CONSOLIDATION        every member of a car-repair or wood-panel cluster
--   T29-UPGRADE-PLAN         other members using solvent-type materials or organic raw materials
-- The plan's "mainly SMEs" and the one-enterprise-one-policy for large emitters of olefins,
-- aromatics, alkynes and aldehydes need data the ledgers do not hold (size, VOC species).
with rules as (
    select * from {{ ref('inventory_action_rules') }} where action_list = 'action_voc_clusters'
),

enterprises as (
    select
        enterprise_id, name, township,
        {{ inventory_code('key_industry') }} as key_industry,
        coalesce(in_park, false) as in_park
    from {{ ref('stg_registry__enterprises') }}
),

solvent_use as (
    -- units not shown to be on low-VOC materials (task 24's judgement)
    select
        enterprise_id,
        {{ ordered_string_agg("not_low_voc_items", "', '", "unit_id") }} as solvent_items
    from {{ ref('int_actions__substitution_status') }}
    where status in ('solvent_type', 'content_check')
    group by enterprise_id
),

organic_raw_materials as (
    select
        enterprise_id,
        {{ ordered_string_agg("item", "', '", "item", distinct=true) }} as organic_items,
        sum(quantity_canonical) filter (where canonical_unit = 't') as organic_t
    from {{ ref('stg_activity__monthly_activities') }}
    where category = 'raw_material'
        and voc_content_pct > 0
        and period <= {{ inventory_as_of_date() }}
        and period > {{ inventory_as_of_date() }} - interval 12 month
    group by enterprise_id
),

members as (
    select
        e.*,
        case when e.in_park then e.township || ' 园区' else e.township || ' ' || e.key_industry end as cluster,
        case when e.in_park then 'park' else 'cluster' end as cluster_kind,
        s.solvent_items,
        o.organic_items,
        o.organic_t,
        s.enterprise_id is not null or o.enterprise_id is not null as has_voc_concern
    from enterprises as e
    left join solvent_use as s on s.enterprise_id = e.enterprise_id
    left join organic_raw_materials as o on o.enterprise_id = e.enterprise_id
    where e.in_park or e.key_industry is not null
),

clusters as (
    select
        cluster,
        count(*) as cluster_size,
        bool_or(has_voc_concern) as in_scope,
        {{ ordered_string_agg("name", "'、'", "enterprise_id") }} as member_names
    from members
    group by cluster
),

scoped as (
    select m.*, c.cluster_size, c.member_names
    from members as m
    inner join clusters as c on c.cluster = m.cluster
    where c.in_scope
),

scopes as (
    select
        {{ split_text("coalesce(max(scope_key_industry) filter (where rule_id = 'T29-CONSOLIDATION'), '')", "|") }}
            as consolidation_industries,
        {{ split_text("coalesce(max(scope_key_industry) filter (where rule_id = 'T29-SOURCE-SUBSTITUTION'), '')", "|") }}
            as substitution_industries
    from rules
),

judged as (
    select
        s.*,
        case
            when {{ list_has("sc.consolidation_industries", "s.key_industry") }} then 'T29-CONSOLIDATION'
            when {{ list_has("sc.substitution_industries", "s.key_industry") }}
                then case when s.solvent_items is not null then 'T29-SOURCE-SUBSTITUTION' end
            when s.has_voc_concern then 'T29-UPGRADE-PLAN'
        end as rule_id
    from scoped as s
    cross join scopes as sc
),

hits as (
    select j.*
    from judged as j
    inner join rules as r on r.rule_id = j.rule_id
    where j.cluster_kind = 'park' or j.cluster_size >= r.threshold_num
),

enterprise_voc as (
    select enterprise_id, max_by(voc_t, year) as voc_t, max(year) as year
    from (
        select enterprise_id, year, sum(emissions_t) as voc_t
        from {{ ref('emissions') }}
        where pollutant = 'voc'
        group by enterprise_id, year
    )
    group by enterprise_id
)

select
    {{ inventory_rule_columns('r') }},
    h.enterprise_id,
    h.name as enterprise_name,
    h.township,
    h.key_industry,
    h.cluster,
    h.cluster_kind,
    h.cluster_size,
    h.solvent_items,
    h.organic_items,
    v.voc_t,
    r.effective_from as basis_date,
    {{ inventory_as_of_date() }} as as_of_date,
    concat_ws('; ',
        h.cluster_kind || '=' || h.cluster || ' (' || cast(h.cluster_size as string) || ' enterprises: '
            || h.member_names || ')',
        'solvent-type materials: ' || coalesce(h.solvent_items, 'none'),
        'organic raw materials: ' || coalesce(h.organic_items || ' ' || cast({{ round_exact("h.organic_t", 1) }} as string) || ' t', 'none'),
        'voc_t ' || cast(v.year as string) || '=' || cast({{ round_exact("v.voc_t", 3, decimal=true) }} as string),
        'enterprise size (SME) not in the registry'
    ) as evidence
from hits as h
inner join rules as r on r.rule_id = h.rule_id
left join enterprise_voc as v on v.enterprise_id = h.enterprise_id
