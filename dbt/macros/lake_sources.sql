{#- Make every dbt source readable under its schema before the models run (on-run-start). -#}
{% macro register_lake_sources() -%}
    {{ return(adapter.dispatch('register_lake_sources', 'lantian')()) }}
{%- endmacro %}

{#- DuckDB: the ingest assets load raw.* and audit.* into the warehouse file itself. -#}
{% macro duckdb__register_lake_sources() -%}
    select 1
{%- endmacro %}

{#- Spark: each source is a view over its Parquet folder in the lake (LANTIAN_LAKE), partitions
    (county=…/month=…) discovered when read, so a new county's files need no re-registration. -#}
{% macro spark__register_lake_sources() -%}
    {%- if execute -%}
        {%- set lake = env_var('LANTIAN_LAKE', '../.spark/lake') -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() -%}
            {%- if source.schema not in schemas -%}
                {%- do schemas.append(source.schema) -%}
                {%- do run_query('create database if not exists ' ~ source.schema) -%}
            {%- endif -%}
            {%- do run_query('create or replace view ' ~ source.schema ~ '.' ~ source.identifier
                ~ ' as select * from parquet.`' ~ lake ~ '/' ~ source.schema ~ '/' ~ source.identifier ~ '`') -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
