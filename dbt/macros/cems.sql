{#- CEMS formulas and code lists shared by the CEMS models (HJ 212-2017 Appendix D, HJ 75). -#}

{#- Flue-gas parameter channels that become columns of the pollutant rows. -#}
{% macro cems_flue_gas_codes() -%}
    {{ return(['a00000', 'a19001', 'a01011', 'a01012', 'a01013', 'a01014']) }}
{%- endmacro %}

{#- True for a pollutant code. HJ 212-2017 Table B.2 numbers flue-gas parameters a00…
    (flow), a01… (velocity, temperature, pressure, humidity, area, …) and a19… (O2); those
    are never pollutant rows, including the ones not pivoted into columns. -#}
{% macro cems_is_pollutant(code) -%}
    not ({{ code }} like 'a00%' or {{ code }} like 'a01%' or {{ code }} like 'a19%')
{%- endmacro %}

{#- 折算浓度, HJ 212-2017 App. D formula 28: C_zs = C × (21 − O2_ref) / (21 − O2).
    No reference O2 → the measured value (the standard gives none). O2 missing or ≥ 21 % (ambient:
    the formula divides by ~0) → null: the converted value is unknown, never infinite. -#}
{% macro o2_converted(concentration, o2, reference_o2) -%}
    case
        when {{ reference_o2 }} is null then {{ concentration }}
        when {{ o2 }} is null or {{ o2 }} >= 21 then null
        else {{ concentration }} * (21 - {{ reference_o2 }}) / (21 - {{ o2 }})
    end
{%- endmacro %}

{#- Mass in kg, HJ 212-2017 App. D formula 33: kg = mg/m³ × m³/s × s × 1e-6 (divided by 1e6:
    exact for round inputs, so hand-worked unit-test numbers compare equal). -#}
{% macro mass_kg(concentration_mg_m3, flow_m3_s, seconds=3600) -%}
    ({{ concentration_mg_m3 }} * {{ flow_m3_s }} * {{ seconds }} / 1000000.0)
{%- endmacro %}

{#- HJ 212 App. C: an aggregate is N when at least flag_normal_share of its parts are normal (N), else D
    ("75%以上的正常值": 以上 includes the number itself). -#}
{% macro aggregate_flag(normal_parts, all_parts) -%}
    case
        when {{ all_parts }} is null or {{ all_parts }} = 0 then null
        when {{ normal_parts }} >= {{ var('flag_normal_share') }} * {{ all_parts }} then 'N'
        else 'D'
    end
{%- endmacro %}

{#- A column of a raw source table, or a typed null when this warehouse's table lacks it: the
    hj212 ingest adds columns (unit, code_sent, eflag, crc_variant, length_ok, build_id) beyond the
    raw.cems_* contract in dagster_project/warehouse.py, and staging must build on either. The
    real table (schema.table in the target database) is inspected, not source(): unit-test
    fixtures stand in for source() and carry the real table's columns. -#}
{% macro column_or_null(schema_name, table_name, column, data_type) -%}
    {%- if execute -%}
        {%- set relation = adapter.get_relation(
            database=target.database, schema=schema_name, identifier=table_name) -%}
        {%- set names = (adapter.get_columns_in_relation(relation) if relation else [])
            | map(attribute='name') | map('lower') | list -%}
        {%- if column | lower in names -%}{{ column }}{%- else -%}cast(null as {{ data_type }}){%- endif -%}
    {%- else -%}{{ column }}{%- endif -%}
{%- endmacro %}

{#- Mean and sum that do not depend on the order rows arrive in (a parallel aggregation adds
    doubles in any order, which changes the last bits): the values, as sent in decimal text, are
    summed exactly as DECIMAL(18, 9) (64-bit integers of nano-units). A value of 1e9 or more is
    no minute reading and is left out, as a missing one. So an incremental build and a full
    refresh give identical numbers, and so do two builds of the same hours (cems_daily,
    cems_monthly and the inventory's CEMS months sum hourly and daily masses in kg, means of
    concentrations, O2 and flow: all far below 1e9; their nano-unit rounding is below any
    figure the marts report). -#}
{% macro exact_avg(value, where=none) -%}
    cast(avg(try_cast({{ value }} as decimal(18, 9))){% if where %} filter (where {{ where }}){% endif %} as double)
{%- endmacro %}

{% macro exact_sum(value, where=none) -%}
    cast(sum(try_cast({{ value }} as decimal(18, 9))){% if where %} filter (where {{ where }}){% endif %} as double)
{%- endmacro %}

{#- The gap hours (`gaps`: grid rows) with the nearest valid hour before each (`valid_hours`:
    hour_start, mass_kg, max_short_kg, max_long_kg) as previous_valid_hour, previous_valid_kg,
    max_short_kg, max_long_kg, and the nearest valid hour after it as next_valid_hour,
    next_valid_kg, per mn × pollutant_code. A gap and a valid hour never share an hour. -#}
{% macro cems_adjacent_valid_hours(gaps, valid_hours) -%}
    {{ return(adapter.dispatch('cems_adjacent_valid_hours', 'lantian')(gaps, valid_hours)) }}
{%- endmacro %}

{#- DuckDB: two ASOF joins. -#}
{% macro duckdb__cems_adjacent_valid_hours(gaps, valid_hours) -%}
    select
        w.*,
        n.hour_start as next_valid_hour,
        n.mass_kg as next_valid_kg
    from (
        select
            g.*,
            v.hour_start as previous_valid_hour,
            v.mass_kg as previous_valid_kg,
            v.max_short_kg,
            v.max_long_kg
        from {{ gaps }} as g
        asof left join {{ valid_hours }} as v
            on v.mn = g.mn and v.pollutant_code = g.pollutant_code and g.hour_start > v.hour_start
    ) as w
    asof left join (select mn, pollutant_code, hour_start, mass_kg from {{ valid_hours }}) as n
        on n.mn = w.mn and n.pollutant_code = w.pollutant_code and w.hour_start < n.hour_start
{%- endmacro %}

{#- Spark (no ASOF join): gaps and valid hours in one hour series per pair, the nearest valid
    hour on each side by last/first value ignoring nulls over the rows before/after. -#}
{% macro spark__cems_adjacent_valid_hours(gaps, valid_hours) -%}
    select
        g.*,
        a.previous_valid_hour,
        a.previous_valid_kg,
        a.max_short_kg,
        a.max_long_kg,
        a.next_valid_hour,
        a.next_valid_kg
    from {{ gaps }} as g
    inner join (
        select
            mn,
            pollutant_code,
            hour_start,
            is_gap,
            last_value(valid_hour) ignore nulls over before_hour as previous_valid_hour,
            last_value(valid_kg) ignore nulls over before_hour as previous_valid_kg,
            last_value(valid_max_short_kg) ignore nulls over before_hour as max_short_kg,
            last_value(valid_max_long_kg) ignore nulls over before_hour as max_long_kg,
            first_value(valid_hour) ignore nulls over after_hour as next_valid_hour,
            first_value(valid_kg) ignore nulls over after_hour as next_valid_kg
        from (
            select mn, pollutant_code, hour_start, true as is_gap,
                   cast(null as timestamp) as valid_hour, cast(null as double) as valid_kg,
                   cast(null as double) as valid_max_short_kg, cast(null as double) as valid_max_long_kg
            from {{ gaps }}
            union all
            select mn, pollutant_code, hour_start, false as is_gap,
                   hour_start, mass_kg, max_short_kg, max_long_kg
            from {{ valid_hours }}
        ) as series
        window
            before_hour as (partition by mn, pollutant_code order by hour_start
                            rows between unbounded preceding and 1 preceding),
            after_hour as (partition by mn, pollutant_code order by hour_start
                           rows between 1 following and unbounded following)
    ) as a
        on a.is_gap and a.mn = g.mn and a.pollutant_code = g.pollutant_code
        and a.hour_start = g.hour_start
{%- endmacro %}
