-- marts.inventory_key_industry: the full-coverage key-industry inventory (重点行业企业全口径清单,
-- plan task 23). Grain: enterprise × year. Every key-industry enterprise in the registry has a
-- row for every inventory year, even if it reported nothing; has_* booleans and `gaps` say which
-- of the seven dimensions it has not reported.
-- a unit's control chain (dust, SO2, NOx, VOC), as listed in control_techs
{% set control_chain = "nullif(concat_ws(',', dust_control, desulfurization, denitrification, voc_control), '')" %}
-- a coverage gap as listed in coverage_gaps: unit (or outlet), pollutant and the reason's first clause
{% set coverage_gap = "coalesce(unit_id, outlet_id) || ' ' || pollutant || ': ' || split_part(gap_reason, ':', 1)" %}
with enterprises as (
    select * from {{ ref('stg_registry__enterprises') }}
    where nullif(trim(key_industry), '') is not null
),

emissions as (
    select * from {{ ref('emissions') }}
),

activity as (
    select * from {{ ref('int_inventory__activity') }}
),

units as (
    select * from {{ ref('int_inventory__units') }} where not from_activity_only
),

-- years of the inventory: every year with activity, emissions or gate records; else the as-of year
years as (
    select distinct year(period_month) as year from activity
    union
    select distinct year from emissions
    union
    select distinct year(cast(gate_time as timestamp)) from {{ ref('stg_transport__gate_records') }}
),

inventory_years as (
    select year from years where year is not null
    union
    select year({{ inventory_as_of_date() }}) where not exists (select 1 from years where year is not null)
),

materials as (
    select
        enterprise_id, year(period_month) as year,
        sum(case when activity_item = 'coal' then activity_quantity end) as coal_t,
        sum(case when activity_item = 'natural_gas' then activity_quantity end) as natural_gas_10k_m3,
        sum(case when activity_item = 'biomass' then activity_quantity end) as biomass_t,
        sum(case when category = 'solvent' and activity_unit = 't' then activity_quantity end) as solvents_t,
        sum(case when category = 'raw_material' and activity_unit = 't' then activity_quantity end)
            as raw_materials_t,
        {{ ordered_string_agg("case when category = 'product' then item end", "'、'",
            "case when category = 'product' then item end", distinct=true) }} as products,
        count(*) as activity_rows
    from activity
    group by all
),

equipment as (
    select
        enterprise_id,
        count(*) filter (where source_kind = 'boiler') as boiler_count,
        sum(capacity_t_h) filter (where source_kind = 'boiler' and coalesce(status, '') <> 'retired')
            as boiler_capacity_t_h,
        count(*) filter (where source_kind = 'kiln') as kiln_count,
        {{ ordered_string_agg('kiln_type', "','", 'kiln_type', distinct=true) }} as kiln_types,
        count(*) filter (where source_kind = 'voc') as voc_unit_count,
        {{ ordered_string_agg(control_chain, "','", control_chain, distinct=true) }} as control_techs,
        count(*) filter (where coalesce(dust_control, desulfurization, denitrification, voc_control)
            is not null) as units_with_control
    from units
    group by enterprise_id
),

inefficient as (
    select u.enterprise_id, count(distinct u.unit_id) as units_with_inefficient_control
    from units as u
    inner join {{ ref('inventory_control_efficiencies') }} as c
        on c.is_inefficient
        and {{ list_has(split_text("concat_ws('+', u.dust_control, u.desulfurization, u.denitrification, u.voc_control)", "+"), "c.tech_code") }}
    group by u.enterprise_id
),

emission_totals as (
    select
        enterprise_id, year,
        sum(emissions_t) filter (where pollutant = 'so2') as so2_t,
        sum(emissions_t) filter (where pollutant = 'nox') as nox_t,
        sum(emissions_t) filter (where pollutant = 'pm') as pm_t,
        sum(emissions_t) filter (where pollutant = 'voc') as voc_t,
        sum(emissions_t) filter (where pollutant = 'nh3') as nh3_t,
        sum(emissions_t) filter (where method = 'cems') as cems_t,
        sum(emissions_t) filter (where method = 'cems_calibrated') as cems_calibrated_t,
        sum(emissions_t) filter (where method = 'manual_test') as manual_test_t,
        sum(emissions_t) filter (where method = 'mass_balance') as mass_balance_t,
        sum(emissions_t) filter (where method = 'factor') as factor_t,
        sum(emissions_t) filter (where release_type = 'fugitive') as fugitive_t,
        sum(emissions_t) filter (where quality_grade in ('A', 'B')) / nullif(sum(emissions_t), 0)
            as measured_share,
        count(*) filter (where qa_flags is not null) as emission_rows_with_qa_flags
    from emissions
    group by all
),

-- each pollutant's 95 % range (rows of one point and method correlated, points independent)
ranges as (
    select
        enterprise_id, year,
        any_value(emissions_low_t) filter (where pollutant = 'so2') as so2_low_t,
        any_value(emissions_high_t) filter (where pollutant = 'so2') as so2_high_t,
        any_value(emissions_low_t) filter (where pollutant = 'nox') as nox_low_t,
        any_value(emissions_high_t) filter (where pollutant = 'nox') as nox_high_t,
        any_value(emissions_low_t) filter (where pollutant = 'pm') as pm_low_t,
        any_value(emissions_high_t) filter (where pollutant = 'pm') as pm_high_t,
        any_value(emissions_low_t) filter (where pollutant = 'voc') as voc_low_t,
        any_value(emissions_high_t) filter (where pollutant = 'voc') as voc_high_t,
        any_value(emissions_low_t) filter (where pollutant = 'nh3') as nh3_low_t,
        any_value(emissions_high_t) filter (where pollutant = 'nh3') as nh3_high_t
    from ({{ inventory_uncertainty_totals(['enterprise_id', 'year', 'pollutant']) }}) as t
    group by enterprise_id, year
),

-- producing unit-months whose pollutant has no estimate (marts.inventory_coverage)
coverage_gaps as (
    select
        enterprise_id, year,
        count(*) as coverage_gap_count,
        {{ ordered_string_agg(coverage_gap, "'; '", coverage_gap, distinct=true) }} as coverage_gaps
    from {{ ref('inventory_coverage') }}
    where not is_estimated
    group by enterprise_id, year
),

unestimated as (
    -- ledger units with no emission row in a year: where the inventory is still blind (a unit whose
    -- gas leaves through another unit's stack is counted there)
    select u.enterprise_id, y.year, count(*) as units_without_emissions
    from units as u
    cross join inventory_years as y
    where u.feeds_unit_id is null and not exists (
        select 1 from emissions as em
        where em.enterprise_id = u.enterprise_id and em.unit_id = u.unit_id and em.year = y.year
    )
    group by all
),

fugitive as (
    -- fugitive-emission control as reported: VOC capture / LDAR / bypass fields and kiln damage checks
    select enterprise_id,
        count(*) filter (where capture_type is not null or seal_points is not null
            or ldar_done is not null or bypass is not null) as voc_fugitive_items,
        {{ ordered_string_agg('capture_type', "','", 'capture_type', distinct=true) }} as voc_capture_types,
        sum(seal_points) as seal_points,
        bool_and(ldar_done) as ldar_done_all
    from {{ ref('stg_ledgers__voc_sources') }}
    group by enterprise_id
),

kiln_damage as (
    select enterprise_id,
        count(*) filter (where damage_found is not null) as kiln_damage_checked,
        count(*) filter (where damage_found and rectified_date is null) as kiln_damage_open
    from {{ ref('stg_ledgers__kilns') }}
    group by enterprise_id
),

monitoring as (
    select
        o.enterprise_id,
        count(*) as outlet_count,
        count(nullif(trim(o.mn), '')) as outlets_with_cems,
        count(*) filter (where nullif(trim(o.mn), '') is not null and o.networked) as outlets_networked
    from {{ ref('stg_registry__outlets') }} as o
    group by o.enterprise_id
),

valid_rates as (
    select po.enterprise_id, year(cast(r.quarter_start as date)) as year, avg(r.valid_rate) as cems_valid_rate
    from {{ ref('cems_quarterly_valid_rate') }} as r
    inner join {{ ref('int_inventory__point_outlets') }} as po on po.mn = r.mn
    group by all
),

transport as (
    select
        g.enterprise_id, year(cast(g.gate_time as timestamp)) as year,
        sum(g.tonnes) as transport_t,
        sum(case when coalesce(m.is_clean, md.is_clean, false) then g.tonnes else 0 end) as clean_transport_t
    from {{ ref('stg_transport__gate_records') }} as g
    left join {{ ref('inventory_transport_modes') }} as m
        on m.mode = {{ inventory_code('g.mode') }} and m.emission_standard = {{ inventory_code('g.emission_standard') }}
    left join {{ ref('inventory_transport_modes') }} as md
        on md.mode = {{ inventory_code('g.mode') }} and md.emission_standard is null
    group by all
),

assembled as (
    select
        e.enterprise_id,
        y.year,
        e.name as enterprise_name,
        e.township,
        e.industry_code,
        e.key_industry,
        nullif(trim(e.performance_grade), '') as performance_grade,
        e.permit_no,
        -- 1 原辅料及能源
        ma.coal_t, ma.natural_gas_10k_m3, ma.biomass_t, ma.solvents_t, ma.raw_materials_t, ma.products,
        coalesce(ma.activity_rows, 0) > 0 as has_materials_energy,
        -- 2 生产工艺及装备
        coalesce(eq.boiler_count, 0) as boiler_count, eq.boiler_capacity_t_h,
        coalesce(eq.kiln_count, 0) as kiln_count, eq.kiln_types,
        coalesce(eq.voc_unit_count, 0) as voc_unit_count,
        coalesce(eq.boiler_count, 0) + coalesce(eq.kiln_count, 0) + coalesce(eq.voc_unit_count, 0) > 0
            as has_processes_equipment,
        -- 3 污染治理技术
        eq.control_techs,
        coalesce(eq.units_with_control, 0) as units_with_control,
        coalesce(ie.units_with_inefficient_control, 0) as units_with_inefficient_control,
        coalesce(eq.units_with_control, 0) > 0 as has_control_technology,
        -- 4 污染物排放
        et.so2_t, et.nox_t, et.pm_t, et.voc_t, et.nh3_t,
        coalesce(et.so2_t, 0) + coalesce(et.nox_t, 0) + coalesce(et.pm_t, 0) + coalesce(et.voc_t, 0)
            + coalesce(et.nh3_t, 0) as emissions_t_total,
        rg.so2_low_t, rg.so2_high_t, rg.nox_low_t, rg.nox_high_t, rg.pm_low_t, rg.pm_high_t,
        rg.voc_low_t, rg.voc_high_t, rg.nh3_low_t, rg.nh3_high_t,
        et.cems_t, et.cems_calibrated_t, et.manual_test_t, et.mass_balance_t, et.factor_t,
        et.fugitive_t,
        {{ round_exact("et.measured_share", 4) }} as measured_share,
        coalesce(et.emission_rows_with_qa_flags, 0) as emission_rows_with_qa_flags,
        coalesce(ue.units_without_emissions, 0) as units_without_emissions,
        coalesce(cg.coverage_gap_count, 0) as coverage_gap_count,
        cg.coverage_gaps,
        et.enterprise_id is not null and cg.enterprise_id is null as has_emissions,
        -- 5 无组织排放治理
        fu.voc_capture_types, fu.seal_points, fu.ldar_done_all,
        kd.kiln_damage_open,
        coalesce(fu.voc_fugitive_items, 0) + coalesce(kd.kiln_damage_checked, 0) > 0
            as has_fugitive_control,
        -- 6 在线监控
        coalesce(mo.outlet_count, 0) as outlet_count,
        coalesce(mo.outlets_with_cems, 0) as outlets_with_cems,
        coalesce(mo.outlets_networked, 0) as outlets_networked,
        vr.cems_valid_rate,
        coalesce(mo.outlet_count, 0) > 0 as has_online_monitoring,
        -- 7 清洁运输
        tr.transport_t, tr.clean_transport_t,
        tr.clean_transport_t / nullif(tr.transport_t, 0) as clean_transport_share,
        coalesce(tr.transport_t, 0) > 0 as has_clean_transport
    from enterprises as e
    cross join inventory_years as y
    left join materials as ma on ma.enterprise_id = e.enterprise_id and ma.year = y.year
    left join equipment as eq on eq.enterprise_id = e.enterprise_id
    left join inefficient as ie on ie.enterprise_id = e.enterprise_id
    left join emission_totals as et on et.enterprise_id = e.enterprise_id and et.year = y.year
    left join ranges as rg on rg.enterprise_id = e.enterprise_id and rg.year = y.year
    left join coverage_gaps as cg on cg.enterprise_id = e.enterprise_id and cg.year = y.year
    left join unestimated as ue on ue.enterprise_id = e.enterprise_id and ue.year = y.year
    left join fugitive as fu on fu.enterprise_id = e.enterprise_id
    left join kiln_damage as kd on kd.enterprise_id = e.enterprise_id
    left join monitoring as mo on mo.enterprise_id = e.enterprise_id
    left join valid_rates as vr on vr.enterprise_id = e.enterprise_id and vr.year = y.year
    left join transport as tr on tr.enterprise_id = e.enterprise_id and tr.year = y.year
)

select
    a.*,
    {% set items %}
        case when not a.has_materials_energy then '原辅料及能源 materials_energy' end,
        case when not a.has_processes_equipment then '生产工艺及装备 processes_equipment' end,
        case when not a.has_control_technology then '污染治理技术 control_technology' end,
        case when not a.has_emissions then '污染物排放 emissions'
            || coalesce(' (' || a.coverage_gap_count || ' producing unit-month-pollutants without an estimate: '
                || a.coverage_gaps || ')', '') end,
        case when not a.has_fugitive_control then '无组织排放治理 fugitive_control' end,
        case when not a.has_online_monitoring then '在线监控 online_monitoring' end,
        case when not a.has_clean_transport then '清洁运输 clean_transport' end
    {% endset %}{{ join_non_null(items, "'; '") }} as gaps,
    7 - (a.has_materials_energy::int + a.has_processes_equipment::int + a.has_control_technology::int
        + a.has_emissions::int + a.has_fugitive_control::int + a.has_online_monitoring::int
        + a.has_clean_transport::int) as gap_count
from assembled as a
