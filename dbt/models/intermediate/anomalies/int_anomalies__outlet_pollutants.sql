-- Registry facts the detectors need per monitored outlet × pollutant: who (outlet, enterprise),
-- which limit and span, the reference O2 of the conversion. Grain: mn × pollutant_code.
{%- set cols = [] %}
{%- if execute %}
  {%- set cols = adapter.get_columns_in_relation(ref('stg_registry__outlet_limits')) | map(attribute='name') | map('lower') | list %}
{%- endif %}

select l.mn, l.pollutant_code, o.outlet_id, o.enterprise_id, o.source_kind,
       o.reference_o2::double as reference_o2,
       l.limit_mg_m3::double as limit_mg_m3,
       l.analyzer_range::double as analyzer_range,
       {% if 'detection_limit' in cols %}l.detection_limit::double{% else %}cast(null as double){% endif %}
           as detection_limit
from {{ ref('stg_registry__outlet_limits') }} l
left join {{ ref('stg_registry__outlets') }} o using (mn)
