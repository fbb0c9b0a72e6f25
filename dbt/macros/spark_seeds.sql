{#- Seeds on Spark: dbt-spark's session connection pastes seed values into the SQL with `%`
    and no escaping, so a text containing an apostrophe (the unit's …) breaks the insert.
    This override writes each value as an escaped Spark string literal instead. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
  {% set batch_size = get_batch_size() %}
  {% set column_override = model['config'].get('column_types', {}) %}
  {% set statements = [] %}
  {% for chunk in agate_table.rows | batch(batch_size) %}
      {% set sql %}
          insert into {{ this.render() }} values
          {% for row in chunk -%}
              ({%- for col_name in agate_table.column_names -%}
                  {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                  {%- set type = column_override.get(col_name, inferred_type) -%}
                  {%- set value = row[loop.index0] -%}
                  cast({{ spark_string_literal(value) }} as {{ type }})
                  {%- if not loop.last %},{% endif -%}
              {%- endfor -%})
              {%- if not loop.last %},{% endif %}
          {%- endfor %}
      {% endset %}
      {% do adapter.add_query(sql, abridge_sql_log=True) %}
      {% if loop.index0 == 0 %}
          {% do statements.append(sql) %}
      {% endif %}
  {% endfor %}
  {{ return(statements[0]) }}
{% endmacro %}

{#- A Python value as a Spark SQL literal: null, or a quoted string with \ and ' escaped. -#}
{% macro spark_string_literal(value) -%}
  {%- if value is none -%}null{%- else -%}'{{ (value | string).replace('\\', '\\\\').replace("'", "\\'") }}'{%- endif -%}
{%- endmacro %}
