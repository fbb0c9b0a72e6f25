-- Each resolved row says where its number came from: CEMS rows carry measured + substituted that add
-- up to emissions_t; calibrated rows their ratio and months; factor and mass-balance rows an ef_id;
-- manual rows a test date; VOC rows (the solvent balance) the VOC input they were held to.
select emission_id, pollutant, method, emissions_t, measured_t, substituted_t, ef_id, manual_test_date
from {{ ref('emissions') }}
where (pollutant <> 'voc' and method = 'cems' and abs(emissions_t - (measured_t + substituted_t)) > 1e-6)
    or (pollutant <> 'voc' and method = 'cems_calibrated' and (calibration_ratio is null or calibration_months is null))
    or (pollutant <> 'voc' and method in ('factor', 'mass_balance') and ef_id is null)
    or (pollutant <> 'voc' and method = 'manual_test' and manual_test_date is null)
    or (pollutant = 'voc' and activity_quantity is null)
