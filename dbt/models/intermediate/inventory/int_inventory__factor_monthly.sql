-- Factor / mass-balance estimates per emission point, pollutant, release and month: one basis per
-- point-month-pollutant, never two estimates of the same gas added together.
-- Grain: point_id × pollutant × release × period_month.
--  * Basis: a fuel sulfur balance (per_sulfur_pct) wins for SO2; otherwise product (process) factors
--    replace fuel factors — a process factor already contains the fuel burnt in the process (clinker
--    NOx, glass PM); otherwise the unit's fuels are summed (a boiler burning coal and biomass).
--  * sulfur_ceiling_t: SO2 cannot exceed the sulfur that went in, where fuel is the only sulfur
--    source (boilers, dryers, cupolas; not brick, cement or glass kilns, whose raw materials carry
--    sulfur) and every sulfur-bearing fuel row reports its sulfur content.
--  * floor_t: the estimate with every device at its plausible maximum efficiency.
with estimates as (
    select * from {{ ref('int_inventory__factor_estimates') }}
),

units as (
    select * from {{ ref('int_inventory__units') }}
),

tiers as (
    select
        *,
        bool_or(method = 'mass_balance' and basis = 'fuel' and pollutant = 'so2')
            over (partition by point_id, pollutant, release, period_month) as has_sulfur_balance,
        bool_or(basis = 'product')
            over (partition by point_id, pollutant, release, period_month) as has_product_factor
    from estimates
),

kept as (
    select *
    from tiers
    where release = 'fugitive'
        or basis = 'solvent'
        or (has_sulfur_balance and basis = 'fuel')
        or (not has_sulfur_balance and has_product_factor and basis = 'product')
        or (not has_sulfur_balance and not has_product_factor and basis = 'fuel')
),

-- sulfur-bearing fuel rows of each point-month, and whether all of them report a sulfur content
fuel_sulfur as (
    select
        a.point_id, a.period_month,
        bool_and(a.sulfur_pct is not null) as all_fuel_sulfur_known
    from {{ ref('int_inventory__activity') }} as a
    where a.category = 'fuel' and a.activity_item in ('coal', 'coal_gangue', 'coke', 'biomass')
    group by a.point_id, a.period_month
)

select
    k.point_id,
    any_value(k.enterprise_id) as enterprise_id,
    any_value(k.unit_id) as unit_id,
    k.pollutant,
    k.release,
    k.period_month,
    -- mass balance only when every contributing row is a balance; otherwise a factor estimate
    case when bool_and(k.method = 'mass_balance') then 'mass_balance' else 'factor' end as method,
    {{ ordered_string_agg("k.ef_id", "','", "k.ef_id", distinct=true) }} as ef_id,
    {{ ordered_string_agg("k.ef_status", "'; '", "k.ef_status", distinct=true) }} as ef_status,
    bool_or(k.ef_status ilike '%unverified%') as uses_unverified_factor,
    {{ ordered_string_agg("k.basis", "','", "k.basis", distinct=true) }} as basis,
    {{ round_exact("sum(k.emissions_kg) / 1000.0", 9) }} as emissions_t,
    {{ round_exact("sum(k.uncontrolled_kg) / 1000.0", 9) }} as uncontrolled_t,
    case when count(*) = count(k.floor_kg) then {{ round_exact("sum(k.floor_kg) / 1000.0", 9) }} end as floor_t,
    case
        when k.pollutant = 'so2' and bool_and(k.method = 'mass_balance')
            and (any_value(u.source_kind) in ('boiler', 'combustion')
                or any_value(u.kiln_type) in ('dryer', 'cupola', 'other'))
            and coalesce(any_value(fs.all_fuel_sulfur_known), false)
            then {{ round_exact("sum(k.uncontrolled_kg) / 1000.0", 9) }}
    end as sulfur_ceiling_t,
    -- a quantity is only meaningful when all rows share one unit
    case when count(distinct k.activity_unit) = 1 then sum(k.activity_quantity) end as activity_quantity,
    {{ ordered_string_agg("k.activity_unit", "','", "k.activity_unit", distinct=true) }} as activity_unit,
    {{ ordered_string_agg("k.activity_item", "','", "k.activity_item", distinct=true) }} as activity_item,
    -- the ceiling is known only when every row has a limit and a flue-gas volume
    case when count(*) = count(k.limit_implied_kg) then {{ round_exact("sum(k.limit_implied_kg) / 1000.0", 9) }} end
        as limit_implied_t,
    bool_or(k.unknown_control) as has_unknown_control,
    bool_or(k.series_not_multiplied) as series_not_multiplied,
    bool_or(k.unknown_capture) as has_unknown_capture
from kept as k
left join units as u on u.enterprise_id = k.enterprise_id and u.unit_id = k.unit_id
left join fuel_sulfur as fs on fs.point_id = k.point_id and fs.period_month = k.period_month
group by k.point_id, k.pollutant, k.release, k.period_month
