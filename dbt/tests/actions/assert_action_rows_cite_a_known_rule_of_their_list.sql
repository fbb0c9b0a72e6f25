{{ config(meta={'dagster': {'ref': {'name': 'action_boilers'}}}) }}
-- Every action row's rule belongs to the list it is on (inventory_action_rules.action_list).
{% set lists = ['action_boilers', 'action_kilns', 'action_voc', 'action_ammonia_slip',
                'action_clean_transport', 'action_ultra_low_exceedances', 'action_performance_grades',
                'action_clean_energy', 'action_voc_clusters'] %}
with rows_ as (
    {% for l in lists %}
    select '{{ l }}' as action_list, rule_id from {{ ref(l) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select r.action_list, r.rule_id
from rows_ as r
left join {{ ref('inventory_action_rules') }} as s
    on s.rule_id = r.rule_id and s.action_list = r.action_list
where s.rule_id is null
