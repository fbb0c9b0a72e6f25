-- The inventory calendar (核算月份): every month of every year the activity ledger reports.
-- Grain: period_month.
with years as (
    select distinct year(period_month) as year from {{ ref('int_inventory__activity') }}
)

select cast(m as date) as period_month
from years
cross join lateral (
    select {{ unnest_list(value_series("make_date(years.year, 1, 1)", "make_date(years.year, 12, 1)", "interval 1 month")) }} as m
)
