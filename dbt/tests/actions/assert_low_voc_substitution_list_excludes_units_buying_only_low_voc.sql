{{ config(meta={'dagster': {'ref': {'name': 'action_voc'}}}) }}
-- Task 24: a unit whose latest purchases of coatings, inks, adhesives and cleaners are all low-VOC
-- (water-based, UV within its ceiling, …) is already substituted, whatever its ledger flag says.
-- Returns the units wrongly on the substitution-pending list.
select a.enterprise_id, a.unit_id, a.evidence, m.latest_month, m.latest_items
from {{ ref('action_voc') }} as a
inner join {{ ref('int_actions__unit_materials') }} as m
    on m.enterprise_id = a.enterprise_id and m.unit_id is not distinct from a.unit_id
where a.rule_id = 'T24-SUBSTITUTION-PENDING' and m.latest_all_low_voc
