{{ config(meta={'dagster': {'ref': {'name': 'stg_manual_tests__stack_tests'}}}) }}
-- Every manual stack test names an outlet of the registry (enterprise_id × outlet_id, a composite
-- foreign key the built-in relationships test cannot express).
select t.stack_test_id, t.enterprise_id, t.outlet_id
from {{ ref('stg_manual_tests__stack_tests') }} as t
left join {{ ref('stg_registry__outlets') }} as o
    on o.enterprise_id = t.enterprise_id and o.outlet_id = t.outlet_id
where o.outlet_id is null
