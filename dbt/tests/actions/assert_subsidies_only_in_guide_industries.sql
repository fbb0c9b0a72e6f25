{{ config(meta={'dagster': {'ref': {'name': 'action_performance_grades'}}}) }}
-- Task 31: the A/B subsidy is for the key industries of the 2020 emergency-reduction guide only
-- (seed action_guide_industries: key industry, and GB/T 4754 class prefixes where given). Returns
-- subsidy rows of enterprises outside them.
select a.enterprise_id, a.rule_id, e.key_industry, e.industry_code
from {{ ref('action_performance_grades') }} as a
inner join {{ ref('stg_registry__enterprises') }} as e on e.enterprise_id = a.enterprise_id
where a.rule_id in ('T31-SUBSIDY-A', 'T31-SUBSIDY-B')
    and not exists (
        select 1 from {{ ref('action_guide_industries') }} as g
        where g.key_industry = lower(trim(e.key_industry))
            and (nullif(trim(g.industry_code_prefixes), '') is null
                 or {{ regex_matches("coalesce(trim(e.industry_code), '')", "'^(' || trim(g.industry_code_prefixes) || ')'") }})
    )
