{{ config(meta={'dagster': {'ref': {'name': 'inventory_method_comparison'}}}) }}
-- Independent estimates of the same unit must agree within their band, or the inventory must use
-- the better one: a unit whose CEMS disagrees with the factor library is never estimated by the
-- factor; a test that disagrees with the same month's CEMS never stands in for the CEMS; tests that
-- disagree with the factor library win over the factor.
select c.point_id, c.pollutant, c.year, c.comparison, c.ratio, c.methods_used
from {{ ref('inventory_method_comparison') }} as c
where not c.within_band
    and (
        (c.comparison = 'cems_vs_factor' and {{ regex_matches("c.methods_used", "'(^|,)(factor|mass_balance)(,|$)'") }})
        or (c.comparison = 'test_vs_cems' and {{ regex_matches("c.methods_used", "'(^|,)manual_test(,|$)'") }}
            and not {{ regex_matches("c.methods_used", "'(^|,)cems'") }})
        or (c.comparison = 'test_vs_factor' and {{ regex_matches("c.methods_used", "'(^|,)factor(,|$)'") }})
    )
