{{ config(meta={'dagster': {'ref': {'name': 'emissions'}}}) }}
-- No emission without a place it leaves from: a stack row names its registered outlet; a fugitive
-- row its area (enterprise|unit|fugitive); a unit emitting through no registered outlet is flagged
-- release_point_unregistered; and a unit whose gas leaves through another unit's stack (a gas
-- generator, a waste-heat dryer) never has emission rows of its own.
select e.emission_id, e.point_id, e.release_type, e.outlet_id, e.qa_flags
from {{ ref('emissions') }} as e
where (e.release_type = 'stack' and e.outlet_id is null)
    or (e.release_type = 'fugitive' and e.point_id not like '%|fugitive')
    or (e.release_type = 'unregistered' and coalesce(e.qa_flags, '') not like '%release_point_unregistered%')
    or e.release_type is null
    or exists (
        select 1 from {{ ref('int_inventory__units') }} as u
        where u.enterprise_id = e.enterprise_id and u.unit_id = e.unit_id and u.feeds_unit_id is not null
            and e.outlet_id is null
    )
