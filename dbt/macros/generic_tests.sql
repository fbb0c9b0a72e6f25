{#- Generic tests for the dbt-core models (no hub packages are reachable offline). -#}

{#- Values of column_name lie in [min_value, max_value]; nulls pass (test not_null separately). -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
{%- set lo = '>=' if inclusive else '>' -%}
{%- set hi = '<=' if inclusive else '<' -%}
select *
from {{ model }}
where {{ column_name }} is not null
  and not (
    true
    {%- if min_value is not none %} and {{ column_name }} {{ lo }} {{ min_value }}{% endif %}
    {%- if max_value is not none %} and {{ column_name }} {{ hi }} {{ max_value }}{% endif %}
  )
{% endtest %}

{#- Every row satisfies a SQL boolean expression (rows where it is false or null fail). -#}
{% test expression_is_true(model, expression, where_clause=none) %}
select *
from {{ model }}
where {% if where_clause %}({{ where_clause }}) and {% endif %}not coalesce(({{ expression }}), false)
{% endtest %}

{#- No two rows share the same values of the given columns. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
select {{ combination_of_columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}
