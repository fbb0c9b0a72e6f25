{{ config(meta={'dagster': {'ref': {'name': 'action_voc'}}}) }}
-- Task 28 binds new enterprises (新建): an enterprise on the park-entry list must have started
-- reporting activity after the activity ledger starts and on/after the rule's date. Returns the
-- enterprises listed without that evidence of newness.
with first_activity as (
    select enterprise_id, min(period) as first_month, min(min(period)) over () as ledger_first_month
    from {{ ref('stg_activity__monthly_activities') }}
    group by enterprise_id
)

select a.enterprise_id, a.evidence, f.first_month, f.ledger_first_month
from {{ ref('action_voc') }} as a
inner join {{ ref('inventory_action_rules') }} as r on r.rule_id = a.rule_id
left join first_activity as f on f.enterprise_id = a.enterprise_id
where a.rule_id = 'T28-NEW-VOC-OUTSIDE-PARK'
    and not coalesce(f.first_month > f.ledger_first_month and f.first_month >= r.effective_from, false)
