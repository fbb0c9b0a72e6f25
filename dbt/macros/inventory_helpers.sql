{#- Helpers for the inventory and action-list models (owned by the inventory worker). -#}

{#- The date action lists are judged at: one row of int_inventory__as_of (var inventory_as_of_date,
    else the latest data date, else today). -#}
{% macro inventory_as_of_date() -%}
    (select as_of_date from {{ ref('int_inventory__as_of') }})
{%- endmacro %}

{#- A numeric parameter from the inventory_parameters seed, so thresholds stay data. -#}
{% macro inventory_param(param_id) -%}
    (select value_num from {{ ref('inventory_parameters') }} where param_id = '{{ param_id }}')
{%- endmacro %}

{#- Columns every action list carries about the rule that put a row on it (alias r = rules seed). -#}
{% macro inventory_rule_columns(alias='r') -%}
    {{ alias }}.rule_id,
    {{ alias }}.task_no,
    {{ alias }}.rule_text_zh,
    {{ alias }}.rule_text_en,
    {{ alias }}.rule_text_zh || ' / ' || {{ alias }}.rule_text_en as rule_text
{%- endmacro %}

{#- Lower-cased, trimmed code so ledger spellings match seed codes. -#}
{% macro inventory_code(expr) -%}
    nullif(lower(trim(cast({{ expr }} as varchar))), '')
{%- endmacro %}
