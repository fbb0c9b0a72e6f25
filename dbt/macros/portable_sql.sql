{#- SQL that DuckDB and Spark spell differently, one macro per job (adapter.dispatch).
    The DuckDB spelling is the one the models used before; Spark's gives the same result. -#}

{#- Round half to even (banker's rounding), as HJ 663 / GB 8170 rounding of ambient values. -#}
{% macro round_half_even(value, digits) -%}
    {{ return(adapter.dispatch('round_half_even', 'lantian')(value, digits)) }}
{%- endmacro %}
{% macro duckdb__round_half_even(value, digits) -%}round_even({{ value }}, {{ digits }}){%- endmacro %}
{#- Spark: on the double's exact binary value, like DuckDB (macros/exact_rounding.sql). -#}
{% macro spark__round_half_even(value, digits) -%}
    lantian_round_exact(cast({{ value }} as double), cast({{ digits }} as int), true)
{%- endmacro %}

{#- Concatenate the non-null values of a group, in a given order (null when there are none). -#}
{#- `filter`: an optional condition on the rows aggregated (an aggregate FILTER clause). -#}
{% macro ordered_string_agg(value, separator, order_by, distinct=false, filter=none) -%}
    {{ return(adapter.dispatch('ordered_string_agg', 'lantian')(value, separator, order_by, distinct, filter)) }}
{%- endmacro %}
{% macro duckdb__ordered_string_agg(value, separator, order_by, distinct, filter) -%}
    string_agg({{ 'distinct ' if distinct }}{{ value }}, {{ separator }} order by {{ order_by }})
    {%- if filter is not none %} filter (where {{ filter }}){% endif %}
{%- endmacro %}
{#- Spark: sort the collected (order key, value) pairs; its listagg … within group fails to plan
    beside other aggregates (ClassCastException in Spark 4.x). -#}
{% macro spark__ordered_string_agg(value, separator, order_by, distinct, filter) -%}
    {%- set only = ' filter (where ' ~ filter ~ ')' if filter is not none else '' -%}
    case when count({{ value }}){{ only }} > 0 then array_join(transform(array_sort(
        {{ 'collect_set' if distinct else 'collect_list' }}(named_struct('k', {{ order_by }}, 'v', {{ value }})){{ only }}),
        s -> s.v), {{ separator }}) end
{%- endmacro %}

{#- A CTE computed once and held (spilled to disk beyond the memory limit) before what reads it
    runs: a join's hash table is released before the result is sorted, where one pipeline would
    hold both (a 100-outlet county-year ran out of 4 GB in int_cems__hourly_combined). Spark
    plans CTEs its own way and has no such keyword. Use: `name as {{ materialized_cte() }} (…)`. -#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte', 'lantian')()) }}
{%- endmacro %}
{% macro duckdb__materialized_cte() -%}materialized{%- endmacro %}
{% macro spark__materialized_cte() -%}{%- endmacro %}

{#- A CTE inlined into each query that reads it, so the readers' filters reach its scan. DuckDB
    holds a CTE read more than once, and a filter on what reads it then comes after the whole
    scan: the readings view read the whole lake for one day of minutes (0.7 s inlined against 3.4 s
    held, one day of the 100-outlet year; a quarter 1.4 s against 8.2 s). Spark plans CTEs its own
    way and has no such keyword.
    Use: `name as {{ not_materialized_cte() }} (…)`. -#}
{% macro not_materialized_cte() -%}
    {{ return(adapter.dispatch('not_materialized_cte', 'lantian')()) }}
{%- endmacro %}
{% macro duckdb__not_materialized_cte() -%}not materialized{%- endmacro %}
{% macro spark__not_materialized_cte() -%}{%- endmacro %}

{#- Split text on a one-character separator into a list (null stays null). -#}
{% macro split_text(text, separator) -%}
    {{ return(adapter.dispatch('split_text', 'lantian')(text, separator)) }}
{%- endmacro %}
{% macro duckdb__split_text(text, separator) -%}string_split({{ text }}, '{{ separator }}'){%- endmacro %}
{% macro spark__split_text(text, separator) -%}split({{ text }}, '[{{ separator }}]'){%- endmacro %}

{#- Whether a list holds a value. -#}
{% macro list_has(list, value) -%}
    {{ return(adapter.dispatch('list_has', 'lantian')(list, value)) }}
{%- endmacro %}
{% macro duckdb__list_has(list, value) -%}list_contains({{ list }}, {{ value }}){%- endmacro %}
{% macro spark__list_has(list, value) -%}array_contains({{ list }}, {{ value }}){%- endmacro %}

{#- Whether text contains a match of a regular expression (anywhere, like re.search). -#}
{% macro regex_matches(text, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'lantian')(text, pattern)) }}
{%- endmacro %}
{% macro duckdb__regex_matches(text, pattern) -%}regexp_matches({{ text }}, {{ pattern }}){%- endmacro %}
{% macro spark__regex_matches(text, pattern) -%}regexp({{ text }}, {{ pattern }}){%- endmacro %}

{#- Spark's datetime pattern for a strftime pattern of %Y %m %d %H %M %S. -#}
{% macro java_time_pattern(strftime_pattern) -%}
    {{- strftime_pattern.replace('%Y', 'yyyy').replace('%m', 'MM').replace('%d', 'dd')
        .replace('%H', 'HH').replace('%M', 'mm').replace('%S', 'ss') -}}
{%- endmacro %}

{#- Format a date or timestamp with a strftime pattern (%Y %m %d %H %M %S). -#}
{% macro format_time(value, strftime_pattern) -%}
    {{ return(adapter.dispatch('format_time', 'lantian')(value, strftime_pattern)) }}
{%- endmacro %}
{% macro duckdb__format_time(value, strftime_pattern) -%}strftime({{ value }}, '{{ strftime_pattern }}'){%- endmacro %}
{% macro spark__format_time(value, strftime_pattern) -%}
    {%- set java = java_time_pattern(strftime_pattern) -%}
    date_format({{ value }}, '{{ java }}')
{%- endmacro %}

{#- Parse text with a strftime pattern; null when it does not parse. -#}
{% macro try_parse_timestamp(text, strftime_pattern) -%}
    {{ return(adapter.dispatch('try_parse_timestamp', 'lantian')(text, strftime_pattern)) }}
{%- endmacro %}
{% macro duckdb__try_parse_timestamp(text, strftime_pattern) -%}try_strptime({{ text }}, '{{ strftime_pattern }}'){%- endmacro %}
{% macro spark__try_parse_timestamp(text, strftime_pattern) -%}
    {%- set java = java_time_pattern(strftime_pattern) -%}
    try_to_timestamp({{ text }}, '{{ java }}')
{%- endmacro %}

{#- Whole units (hour, day, month) from one date/timestamp to another, both on unit boundaries. -#}
{% macro units_between(unit, start, stop) -%}
    {{ return(adapter.dispatch('units_between', 'lantian')(unit, start, stop)) }}
{%- endmacro %}
{% macro duckdb__units_between(unit, start, stop) -%}date_diff('{{ unit }}', {{ start }}, {{ stop }}){%- endmacro %}
{% macro spark__units_between(unit, start, stop) -%}timestampdiff({{ unit | upper }}, {{ start }}, {{ stop }}){%- endmacro %}

{#- One row per element of a list (in the select list, as the only set-returning expression). -#}
{% macro unnest_list(list) -%}
    {{ return(adapter.dispatch('unnest_list', 'lantian')(list)) }}
{%- endmacro %}
{% macro duckdb__unnest_list(list) -%}unnest({{ list }}){%- endmacro %}
{% macro spark__unnest_list(list) -%}explode({{ list }}){%- endmacro %}

{#- The list of values from start to stop inclusive by step (an interval for times). -#}
{% macro value_series(start, stop, step) -%}
    {{ return(adapter.dispatch('value_series', 'lantian')(start, stop, step)) }}
{%- endmacro %}
{% macro duckdb__value_series(start, stop, step) -%}generate_series({{ start }}, {{ stop }}, {{ step }}){%- endmacro %}
{% macro spark__value_series(start, stop, step) -%}sequence({{ start }}, {{ stop }}, {{ step }}){%- endmacro %}

{#- Trim each element of a list. -#}
{% macro trim_elements(list) -%}
    {{ return(adapter.dispatch('trim_elements', 'lantian')(list)) }}
{%- endmacro %}
{% macro duckdb__trim_elements(list) -%}list_transform({{ list }}, lambda x: trim(x)){%- endmacro %}
{% macro spark__trim_elements(list) -%}transform({{ list }}, x -> trim(x)){%- endmacro %}

{#- The continuous (linearly interpolated) quantile of a group's values. -#}
{% macro continuous_quantile(value, fraction) -%}
    {{ return(adapter.dispatch('continuous_quantile', 'lantian')(value, fraction)) }}
{%- endmacro %}
{% macro duckdb__continuous_quantile(value, fraction) -%}quantile_cont({{ value }}, {{ fraction }}){%- endmacro %}
{% macro spark__continuous_quantile(value, fraction) -%}percentile({{ value }}, {{ fraction }}){%- endmacro %}

{#- Join the non-null values of a comma-separated SQL item list; null when all are null. -#}
{% macro join_non_null(items, separator) -%}
    {{ return(adapter.dispatch('join_non_null', 'lantian')(items, separator)) }}
{%- endmacro %}
{% macro duckdb__join_non_null(items, separator) -%}
    nullif(array_to_string(list_filter([{{ items }}], lambda x: x is not null), {{ separator }}), '')
{%- endmacro %}
{% macro spark__join_non_null(items, separator) -%}
    nullif(array_join(array({{ items }}), {{ separator }}), '')
{%- endmacro %}

{#- JSON text of a json_object(...) expression written in DuckDB's spelling (call block). Spark
    builds the same object as a struct (null fields kept, times as `yyyy-MM-dd HH:mm:ss`). -#}
{% macro json_text() -%}
    {{ return(adapter.dispatch('json_text', 'lantian')(caller())) }}
{%- endmacro %}
{% macro duckdb__json_text(json_expression) -%}({{ json_expression }})::varchar{%- endmacro %}
{% macro spark__json_text(json_expression) -%}
    to_json({{ json_expression | replace('json_object(', 'named_struct(') }},
            map('timestampFormat', 'yyyy-MM-dd HH:mm:ss', 'ignoreNullFields', 'false'))
{%- endmacro %}

{#- An interval of a whole number of hours (to subtract from a timestamp). -#}
{% macro hours_interval(hours) -%}
    {{ return(adapter.dispatch('hours_interval', 'lantian')(hours)) }}
{%- endmacro %}
{% macro duckdb__hours_interval(hours) -%}to_hours({{ hours }}){%- endmacro %}
{% macro spark__hours_interval(hours) -%}make_dt_interval(0, cast({{ hours }} as int)){%- endmacro %}

{#- Parse text with a strftime pattern (%Y %m %d %H %M %S). -#}
{% macro parse_timestamp(text, strftime_pattern) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'lantian')(text, strftime_pattern)) }}
{%- endmacro %}
{% macro duckdb__parse_timestamp(text, strftime_pattern) -%}strptime({{ text }}, '{{ strftime_pattern }}'){%- endmacro %}
{% macro spark__parse_timestamp(text, strftime_pattern) -%}
    {%- set java = java_time_pattern(strftime_pattern) -%}
    to_timestamp({{ text }}, '{{ java }}')
{%- endmacro %}

{#- A number unique to each row of a query (no meaning beyond identity). -#}
{% macro row_surrogate_id() -%}
    {{ return(adapter.dispatch('row_surrogate_id', 'lantian')()) }}
{%- endmacro %}
{% macro duckdb__row_surrogate_id() -%}row_number() over (){%- endmacro %}
{% macro spark__row_surrogate_id() -%}monotonically_increasing_id(){%- endmacro %}

{#- One row per element of a list: the element as `value_name`, its 1-based position as
    `position_name` (select-list columns). -#}
{% macro unnest_with_position(list, value_name, position_name) -%}
    {{ return(adapter.dispatch('unnest_with_position', 'lantian')(list, value_name, position_name)) }}
{%- endmacro %}
{% macro duckdb__unnest_with_position(list, value_name, position_name) -%}
    unnest({{ list }}) as {{ value_name }},
    generate_subscripts({{ list }}, 1) as {{ position_name }}
{%- endmacro %}
{% macro spark__unnest_with_position(list, value_name, position_name) -%}
    inline(transform({{ list }}, (x, i) -> named_struct('{{ value_name }}', x, '{{ position_name }}', i + 1)))
{%- endmacro %}

{#- The product of a group's non-null values (null when there are none). -#}
{% macro product_of(value) -%}
    {{ return(adapter.dispatch('product_of', 'lantian')(value)) }}
{%- endmacro %}
{% macro duckdb__product_of(value) -%}product({{ value }}){%- endmacro %}
{% macro spark__product_of(value) -%}
    case when count({{ value }}) > 0
        then aggregate(collect_list(cast({{ value }} as double)), cast(1 as double), (acc, x) -> acc * x) end
{%- endmacro %}

{#- Every column of a relation but `excluded`: DuckDB's `* exclude (…)`; Spark lacks it, so there
    the relation's columns are listed (read at run time, in their order). -#}
{% macro star_except(relation, excluded) -%}
    {{ return(adapter.dispatch('star_except', 'lantian')(relation, excluded)) }}
{%- endmacro %}
{% macro duckdb__star_except(relation, excluded) -%}* exclude ({{ excluded | join(', ') }}){%- endmacro %}
{% macro spark__star_except(relation, excluded) -%}
    {%- if not execute -%}*{%- else -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- if column.name | lower not in excluded -%}{%- do names.append(adapter.quote(column.name)) -%}{%- endif -%}
    {%- endfor -%}
    {{- names | join(', ') -}}
    {%- endif -%}
{%- endmacro %}
