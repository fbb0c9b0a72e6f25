-- Manual stack / comparison tests (手工监测/比对监测) on the converted basis, placed on the day they
-- were taken, for D23 reference_disagreement. Grain: one test result.
select o.mn, t.pollutant_code,
       t.test_date::timestamp as start_time,
       t.test_date::timestamp + interval 1 day - interval 1 minute as end_time,
       t.converted_mg_m3::double as reference_mg_m3
from {{ ref('stg_manual_tests__stack_tests') }} t
join {{ ref('stg_registry__outlets') }} o using (enterprise_id, outlet_id)
where o.mn is not null and t.converted_mg_m3 is not null
