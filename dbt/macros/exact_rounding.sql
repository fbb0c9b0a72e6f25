{#- Rounding a DOUBLE to n decimals on its exact binary value, as DuckDB's round / round_even do
    (0.4136875 is stored as 0.41368749999…, so it rounds to 0.413687). Spark's round and bround
    round the shortest decimal text of the double instead ("0.4136875" → 0.413688), which moves
    half-gram values by a gram. -#}

{#- Round half away from zero (DuckDB round). `decimal=true` when the value is a DECIMAL on both
    engines: rounding a decimal is exact on both (Spark's round), so it stays as it is. -#}
{% macro round_exact(value, digits, decimal=false) -%}
    {{ return(adapter.dispatch('round_exact', 'lantian')(value, digits, decimal)) }}
{%- endmacro %}
{% macro duckdb__round_exact(value, digits, decimal) -%}round({{ value }}, {{ digits }}){%- endmacro %}
{% macro spark__round_exact(value, digits, decimal) -%}
    {%- if decimal -%}round({{ value }}, {{ digits }})
    {%- else -%}lantian_round_exact(cast({{ value }} as double), cast({{ digits }} as int), false)
    {%- endif -%}
{%- endmacro %}

{#- round_exact of the SQL in a call block (for expressions that hold Jinja themselves):
    {% call rounded(3) %}a * {{ b }}{% endcall %} -#}
{% macro rounded(digits) -%}
    {{- round_exact(caller(), digits) -}}
{%- endmacro %}

{#- On Spark, SQL functions for the session (on-run-start): v·10ⁿ is computed exactly as the
    double product p plus its rounding error (Dekker's TwoProduct with Veltkamp's split), so a
    product that lands on k + ½ is resolved by the sign of the error; ties left are exact. -#}
{% macro register_exact_rounding() -%}
    {{ return(adapter.dispatch('register_exact_rounding', 'lantian')()) }}
{%- endmacro %}
{% macro duckdb__register_exact_rounding() -%}select 1{%- endmacro %}
{% macro spark__register_exact_rounding() -%}
    {%- if execute -%}
    {%- do run_query("create or replace temporary function lantian_split_high(a double) returns double
        return (134217729D * a) - ((134217729D * a) - a)") -%}
    {%- do run_query("create or replace temporary function lantian_product_error(a double, b double) returns double
        return ((lantian_split_high(a) * lantian_split_high(b) - a * b)
                + lantian_split_high(a) * (b - lantian_split_high(b))
                + (a - lantian_split_high(a)) * lantian_split_high(b))
               + (a - lantian_split_high(a)) * (b - lantian_split_high(b))") -%}
    {%- do run_query("create or replace temporary function lantian_round_exact(v double, n int, half_even boolean)
        returns double
        return case when v is null or n is null then null
            else sign(v) * (floor(abs(v) * power(10, n)) + case
                when abs(v) * power(10, n) - floor(abs(v) * power(10, n)) > 0.5 then 1
                when abs(v) * power(10, n) - floor(abs(v) * power(10, n)) < 0.5 then 0
                when lantian_product_error(abs(v), power(10, n)) > 0 then 1
                when lantian_product_error(abs(v), power(10, n)) < 0 then 0
                when half_even then pmod(floor(abs(v) * power(10, n)), 2)
                else 1 end) / power(10, n) end") -%}
    {%- endif -%}
    select 1
{%- endmacro %}
