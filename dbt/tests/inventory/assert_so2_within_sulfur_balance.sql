{{ config(meta={'dagster': {'ref': {'name': 'emissions'}}}) }}
-- Sulfur balance: where fuel is a unit's only sulfur source and its sulfur content is reported, no
-- estimate (anything but CEMS of an accepted quarter) emits more SO2 than the sulfur that went in;
-- a CEMS figure above it carries the flag measured_above_sulfur_balance.
select emission_id, point_id, period_month, method, quality_grade, emissions_t, balance_ceiling_t, qa_flags
from {{ ref('emissions') }}
where pollutant = 'so2' and balance_ceiling_t is not null
    and emissions_t > balance_ceiling_t + 1e-6
    and (quality_grade <> 'A' or coalesce(qa_flags, '') not like '%measured_above_sulfur_balance%')
