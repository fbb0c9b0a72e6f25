-- Control path of each emission unit and pollutant (治理设施路径) with the efficiency credited in the
-- inventory. Grain: enterprise_id × unit_id × pollutant (units with a device for the pollutant).
--  * A path of devices in series ('bag_filter+wet_esp') takes its own row in
--    inventory_control_efficiencies where one exists ('sncr+scr' → sncr_scr, 70 %), else its best
--    device: efficiencies are not multiplied (the second device sees the fine, hard-to-remove
--    fraction the first let through; 1 − Π(1 − η) credits 99.99 % to two 99 % filters).
--  * max_fraction is the path's plausible best (the balance floor); capture_fraction is the VOC
--    capture cap of the unit's collection type (Guangdong 2023 table), 0 where nothing is collected.
with units as (
    select * from {{ ref('int_inventory__units') }}
),

controls as (
    select * from {{ ref('inventory_control_efficiencies') }}
),

paths as (
    select enterprise_id, unit_id, 'pm' as pollutant, dust_control as path from units
    where dust_control is not null
    union all
    select enterprise_id, unit_id, 'so2', desulfurization from units where desulfurization is not null
    union all
    select enterprise_id, unit_id, 'nox', denitrification from units where denitrification is not null
    union all
    select enterprise_id, unit_id, 'voc', coalesce(voc_control, 'none') from units
    where voc_control is not null or source_kind = 'voc'
),

devices as (
    select enterprise_id, unit_id, pollutant, path, {{ unnest_list(trim_elements(split_text("path", "+"))) }} as device
    from paths
),

device_efficiency as (
    select
        d.enterprise_id, d.unit_id, d.pollutant,
        max(coalesce(c.efficiency_pct, 0)) / 100.0 as best_fraction,
        max(coalesce(c.max_efficiency_pct, 0)) / 100.0 as best_max_fraction,
        bool_or(c.tech_code is null) as has_unknown_device,
        count(*) > 1 as in_series,
        bool_or(d.device = 'activated_carbon') as uses_single_use_carbon
    from devices as d
    left join controls as c on c.tech_code = d.device and c.pollutant = d.pollutant
    group by d.enterprise_id, d.unit_id, d.pollutant
)

select
    p.enterprise_id,
    p.unit_id,
    p.pollutant,
    p.path,
    {{ round_exact("coalesce(pc.efficiency_pct / 100.0, de.best_fraction)", 6) }} as path_fraction,
    {{ round_exact("coalesce(pc.max_efficiency_pct / 100.0, de.best_max_fraction)", 6) }} as max_fraction,
    de.has_unknown_device and pc.tech_code is null as has_unknown_device,
    de.in_series and pc.tech_code is null as series_not_multiplied,
    de.uses_single_use_carbon,
    case when p.pollutant = 'voc' then coalesce(cap.capture_cap_pct, 0) / 100.0 end as capture_fraction,
    p.pollutant = 'voc' and u.capture_type is not null and cap.capture_type is null as unknown_capture
from paths as p
inner join device_efficiency as de
    on de.enterprise_id = p.enterprise_id and de.unit_id = p.unit_id and de.pollutant = p.pollutant
inner join units as u on u.enterprise_id = p.enterprise_id and u.unit_id = p.unit_id
left join controls as pc on pc.tech_code = replace(p.path, '+', '_') and pc.pollutant = p.pollutant
left join {{ ref('inventory_voc_capture_caps') }} as cap on cap.capture_type = u.capture_type
