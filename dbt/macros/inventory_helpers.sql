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
    nullif(lower(trim(cast({{ expr }} as string))), '')
{%- endmacro %}

{#- Totals with their 95 % range from marts.emissions, grouped by `group_cols` (a list of column
    names that must include year and pollutant). Rows of one point, pollutant, method and year share
    one factor or one calibration, so their errors add linearly (fully correlated); those groups are
    independent of each other and combine in quadrature (IPCC 2006 Vol. 1 ch. 3, approach 1), each
    side of the asymmetric range apart. Yields columns: the group columns, emissions_t,
    emissions_low_t, emissions_high_t. -#}
{% macro inventory_uncertainty_totals(group_cols) -%}
    {%- set cols = group_cols | join(', ') -%}
    select
        {{ cols }},
        sum(t) as emissions_t,
        cast(round(greatest(0, sum(t) - sqrt(sum(dev_low * dev_low))), 6) as decimal(18, 6)) as emissions_low_t,
        cast(round(sum(t) + sqrt(sum(dev_high * dev_high)), 6) as decimal(18, 6)) as emissions_high_t
    from (
        select
            {{ cols }}, point_id, method,
            sum(emissions_t) as t,
            cast(sum(emissions_t - emissions_low_t) as double) as dev_low,
            cast(sum(emissions_high_t - emissions_t) as double) as dev_high
        from {{ ref('emissions') }}
        group by {{ cols }}, point_id, method
    ) as correlated_groups
    group by {{ cols }}
{%- endmacro %}
