{{ config(meta={'dagster': {'ref': {'name': 'action_clean_energy'}}}) }}
-- Tasks 5 and 15 cover every fuel gas generator in the kiln ledger and every unit of a herb-drying
-- enterprise that burned coal in the 12 months up to the as-of date. Returns the units missing
-- from their list.
with gas_generators as (
    select enterprise_id, unit_id, 'T5-GAS-GENERATOR-SUBSTITUTION' as rule_id
    from {{ ref('stg_ledgers__kilns') }}
    where lower(trim(kiln_type)) = 'gas_generator'
),

coal_dryers as (
    select distinct a.enterprise_id, a.unit_id, 'T15-HERB-DRYING-CLEAN-ENERGY' as rule_id
    from {{ ref('stg_activity__monthly_activities') }} as a
    inner join {{ ref('stg_registry__enterprises') }} as e on e.enterprise_id = a.enterprise_id
    inner join {{ ref('inventory_activity_items') }} as i on lower(trim(i.raw_item)) = lower(trim(a.item))
    where lower(trim(e.key_industry)) = 'herb_drying'
        and a.category = 'fuel' and i.activity_item = 'coal' and a.unit_id is not null
        and a.period <= {{ inventory_as_of_date() }}
        and a.period > {{ inventory_as_of_date() }} - interval 12 month
),

expected as (
    select * from gas_generators
    union
    select * from coal_dryers
)

select x.enterprise_id, x.unit_id, x.rule_id
from expected as x
left join {{ ref('action_clean_energy') }} as a
    on a.enterprise_id = x.enterprise_id and a.unit_id = x.unit_id and a.rule_id = x.rule_id
where a.rule_id is null
