-- The detectors' input: marts.cems_hourly as the detectors see it. Grain: mn × pollutant_code ×
-- hour_start, pollutant rows only (device channels — flow, velocity, temperature, pressure,
-- humidity, O2 — are columns). Values are the ones the device *reported* where the mart keeps
-- them (hourly packet Avg, sent ZsAvg, sent Cou, packet flag), so the arithmetic checks compare
-- what was sent with what physics and the minutes imply; the mart's own recomputed values are the
-- fallback. Optional columns absent from the mart become nulls and the checks needing them are
-- simply skipped. Incremental by day (macros/cems_incremental.sql), as marts.cems_hourly.
{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy='replace_days',
    registry_sensitive=true,
) }}
{%- set device_codes = ['a00000', 'a01011', 'a01012', 'a01013', 'a01014', 'a19001'] %}
{%- set cols = [] %}
{%- if execute %}
  {%- set cols = adapter.get_columns_in_relation(ref('cems_hourly')) | map(attribute='name') | map('lower') | list %}
{%- endif %}
{#- first present column of each preference list, coalesced in that order -#}
{%- set picks = {
    'avg_measured': (['packet_avg_measured', 'avg_measured'], 'double'),
    'avg_converted': (['packet_sent_converted', 'sent_converted', 'avg_converted'], 'double'),
    'o2': (['o2'], 'double'),
    'flow_m3_s': (['flow_m3_s'], 'double'),
    'temp_c': (['temp_c'], 'double'),
    'mass_kg': (['packet_cou_kg', 'cou_kg', 'mass_kg'], 'double'),
    'valid_minutes': (['valid_minutes'], 'bigint'),
    'normal_minutes': (['normal_minutes'], 'bigint'),
    'marked_minutes': (['marked_minutes'], 'bigint'),
    'minute_mean': (['minute_mean'], 'double'),
    'is_valid': (['is_valid'], 'boolean'),
    'flag': (['packet_flag', 'flag'], 'string'),
} %}

with hourly as (
    select * from {{ ref('cems_hourly') }}
    where pollutant_code not in ('{{ device_codes | join("', '") }}')
        and {{ cems_days_filter('hour_start', registry=true) }}
)

select mn, pollutant_code, hour_start,
{%- for name, spec in picks.items() %}
  {%- set present = [] %}
  {%- for c in spec[0] if c in cols %}{% do present.append(c) %}{% endfor %}
       {% if present | length > 1 %}coalesce({{ present | join(', ') }})::{{ spec[1] }}
       {%- elif present | length == 1 %}{{ present[0] }}::{{ spec[1] }}
       {%- else %}cast(null as {{ spec[1] }}){% endif %} as {{ name }}{{ "," if not loop.last }}
{%- endfor %}
from hourly
