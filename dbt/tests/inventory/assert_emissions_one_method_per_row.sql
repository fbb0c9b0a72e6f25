-- Each resolved row says where its number came from: CEMS rows carry measured + substituted that
-- add up to emissions_t; factor and mass-balance rows carry an ef_id; manual rows a test date.
select emission_id, method, emissions_t, measured_t, substituted_t, ef_id, manual_test_date
from {{ ref('emissions') }}
where (method = 'cems' and abs(emissions_t - (measured_t + substituted_t)) > 1e-6)
    or (method in ('factor', 'mass_balance') and ef_id is null)
    or (method = 'manual_test' and manual_test_date is null)
