-- Registry facts the detectors need per monitored outlet × pollutant: who (outlet, enterprise),
-- which limit and span, the reference O2 of the conversion, and what the outlet is (source kind,
-- the enterprise's key industry, the fuel of the unit it serves from the boiler and kiln ledgers)
-- so that the limit's emission standard can be named. Grain: mn × pollutant_code.
{%- set cols = [] %}
{%- if execute %}
  {%- set cols = adapter.get_columns_in_relation(ref('stg_registry__outlet_limits')) | map(attribute='name') | map('lower') | list %}
{%- endif %}

with limits as (
    select * from {{ ref('stg_registry__outlet_limits') }}
),

outlets as (
    select * from {{ ref('stg_registry__outlets') }}
),

enterprises as (
    select * from {{ ref('stg_registry__enterprises') }}
),

-- the ledgers' fuel words (gas, coal_gangue_internal, 天然气 …) in the canonical vocabulary
fuel_words as (
    select * from {{ ref('inventory_activity_items') }}
),

unit_fuels as (
    select u.enterprise_id, u.unit_id, any_value(coalesce(w.activity_item, u.fuel)) as fuel
    from (
        select enterprise_id, unit_id, fuel from {{ ref('stg_ledgers__boilers') }}
        union all
        select enterprise_id, unit_id, fuel from {{ ref('stg_ledgers__kilns') }}
    ) u
    left join fuel_words w on w.raw_item = u.fuel
    where u.fuel is not null
    group by u.enterprise_id, u.unit_id
),

joined as (
    select l.mn, l.pollutant_code, o.outlet_id, o.enterprise_id, o.source_kind,
           o.reference_o2::double as reference_o2,
           l.limit_mg_m3::double as limit_mg_m3,
           l.analyzer_range::double as analyzer_range,
           {% if 'detection_limit' in cols %}l.detection_limit::double{% else %}cast(null as double){% endif %}
               as detection_limit,
           e.key_industry,
           f.fuel
    from limits l
    left join outlets o using (mn)
    left join enterprises e on e.enterprise_id = o.enterprise_id
    left join unit_fuels f on f.enterprise_id = o.enterprise_id and f.unit_id = o.unit_id
)

select * from joined
