{#- CEMS models incremental by day.

    audit.cems_rebuild_days lists the data days this build must (re)compute: the days the CEMS
    ingest saw new, changed or removed packets for (late data and re-sent packets included), and
    any days a partition run asks for. An incremental model recomputes its rows of those days
    (`cems_days_filter` on its inputs) and replaces them in its table (strategy `replace_days`:
    delete the days' rows, insert the new ones), so a nightly build touches the new days, not the
    year. A full refresh (`--full-refresh`, or a first build) computes every day; both give the
    same rows. -#}

{#- The days to rebuild, as ISO date strings, read when the model runs. -#}
{% macro cems_rebuild_days() -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set rows = run_query(
        "select distinct cast(day as string) from audit.cems_rebuild_days order by 1") -%}
    {{ return(rows.columns[0].values() | list) }}
{%- endmacro %}

{#- A predicate keeping `column` (a timestamp) within the days to rebuild, as ranges of literal
    timestamps (consecutive days merged), so scans of Parquet and tables skip what lies outside.
    True outside incremental runs, for a model that joins the registry (`registry`) when the
    registry's CEMS facts changed since the last build, and for the hourly grid (`grid`) when
    its pairs or its coverage changed beyond the days to rebuild (`cems_grid_changed`). -#}
{% macro cems_days_filter(column, registry=false, grid=false) -%}
    {%- if this is none or not is_incremental() or (registry and cems_registry_changed())
        or (grid and cems_grid_changed()) -%}true{%- else -%}
    {%- set days = cems_rebuild_days() -%}
    {%- if days | length == 0 -%}false{%- else -%}
    {%- set one_day = modules.datetime.timedelta(days=1) -%}
    {%- set dates = [] -%}
    {%- for day in days -%}{%- do dates.append(modules.datetime.date.fromisoformat(day)) -%}{%- endfor -%}
    {%- set starts, ends = [], [] -%}
    {%- for d in dates -%}
        {%- if loop.first or dates[loop.index0 - 1] + one_day != d -%}{%- do starts.append(d) -%}{%- endif -%}
        {%- if loop.last or dates[loop.index0 + 1] != d + one_day -%}{%- do ends.append(d + one_day) -%}{%- endif -%}
    {%- endfor -%}
    ({% for lo in starts %}{{ " or " if not loop.first }}({{ column }} >= timestamp '{{ lo }}' and {{ column }} < timestamp '{{ ends[loop.index0] }}'){% endfor %})
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- Incremental strategy: the rows of the rebuilt days are deleted from the target (all of them,
    also those no longer produced) and the new rows inserted, in the key order of the model's
    `day_order` config so that each group's rows stay together (sums over a day or an hour then
    add up the same way in an incremental and a full build). A model configures
    `materialized=('incremental' if target.type == 'duckdb' else 'table')` (on Spark a full table
    each build) and `incremental_strategy='replace_days'`; its day is `day_column` and its order
    `day_order`, by default the CEMS hour grain (hour_start; mn, pollutant_code, hour_start). -#}
{% macro get_incremental_replace_days_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set column = config.get('day_column', 'hour_start') -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ target }}
    where {{ cems_days_filter(
        column,
        registry=config.get('registry_sensitive', false),
        grid=config.get('grid_coverage', false),
    ) }};
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
    order by {{ config.get('day_order', 'mn, pollutant_code, hour_start') }}
{%- endmacro %}

{#- True when the hourly grid (the model running, `this`) must be laid again over every day:
    the monitored pairs changed (a device or pollutant came or went: every hour of the coverage
    gains or loses its rows), or the CEMS coverage (the first to the last hour any device
    reported) gained or lost a day that is not a day to rebuild (a day without any data newly
    inside it, or one left outside it). A nightly whose new day follows the last one does not.
    The pollutant hours are named, not ref()-ed: the incremental strategy calls this too. -#}
{% macro cems_grid_changed() -%}
    {%- if not execute -%}{{ return(true) }}{%- endif -%}
    {%- set sql -%}
        with hours as (
            select mn, pollutant_code, hour_start from intermediate.int_cems__hourly_pollutants
        ),
        grid as (select mn, pollutant_code, hour_start from {{ this }}),
        pair_changes as (
            (select distinct mn, pollutant_code from hours
             except select distinct mn, pollutant_code from grid)
            union all
            (select distinct mn, pollutant_code from grid
             except select distinct mn, pollutant_code from hours)
        ),
        new_days as (
            select unnest(generate_series(
                min(hour_start)::date, max(hour_start)::date, interval 1 day))::date as day
            from hours
        ),
        old_days as (
            select unnest(generate_series(
                min(hour_start)::date, max(hour_start)::date, interval 1 day))::date as day
            from grid
        ),
        day_changes as (
            (select day from new_days except select day from old_days)
            union all
            (select day from old_days except select day from new_days)
        )
        select (select count(*) from pair_changes)
            + (select count(*) from day_changes
               where day not in (select cast(day as date) from audit.cems_rebuild_days))
            + case when (select count(*) from old_days) = 0 then 1 else 0 end  -- an empty grid
    {%- endset -%}
    {{ return(run_query(sql).columns[0].values()[0] > 0) }}
{%- endmacro %}

{#- The registry facts the CEMS hours join (outlets and limits), as one fingerprint; the last
    build's is kept in audit.cems_registry_state (`cems_remember_registry`, on-run-end). The
    staging views are named, not ref()-ed: this runs in hooks and in models that do not read them. -#}
{% macro cems_registry_fingerprint() -%}
    {%- set sql -%}
        with facts as (
            select concat_ws('|', mn, enterprise_id, outlet_id, source_kind, reference_o2) as fact
            from staging.stg_registry__outlets where mn is not null
            union all
            select concat_ws('|', mn, pollutant_code, limit_mg_m3, analyzer_range, detection_limit)
            from staging.stg_registry__outlet_limits
        )
        select md5(coalesce({{ ordered_string_agg('fact', "';'", 'fact') }}, '')) from facts
    {%- endset -%}
    {{ return(run_query(sql).columns[0].values()[0]) }}
{%- endmacro %}

{% macro cems_registry_changed() -%}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- set known = run_query(
        "select count(*) from information_schema.tables where table_schema = 'audit' and table_name = 'cems_registry_state'"
    ).columns[0].values()[0] -%}
    {%- if known == 0 -%}{{ return(true) }}{%- endif -%}
    {%- set last = run_query("select fingerprint from audit.cems_registry_state").columns[0].values() -%}
    {{ return(last | length == 0 or last[0] != cems_registry_fingerprint()) }}
{%- endmacro %}

{#- DuckDB only: on Spark the CEMS models are full tables each build (nothing reads the state). -#}
{% macro cems_remember_registry() -%}
    {%- if execute and flags.WHICH in ('build', 'run') and target.type == 'duckdb' -%}
        {%- do run_query("create schema if not exists audit") -%}
        {%- do run_query("create or replace table audit.cems_registry_state as select '"
            ~ cems_registry_fingerprint() ~ "' as fingerprint") -%}
    {%- endif -%}
{%- endmacro %}

{#- The rows of cems_hourly_substituted an incremental run recomputes, per mn × pollutant_code, as
    a CTE `scope` (incremental runs on DuckDB only): with the first day to rebuild in quarter Q,
    every row from the day of the hour after the pair's last valid hour before Q on (every row
    when it has none): Q's valid rate moved, and with it the method of its gaps; a later gap's
    previous valid hour or trailing maxima may have; the gap running into Q has a new next valid
    hour. Also the rows up to the day of its first valid hour when the maximum of all its valid
    hours moved (`max_moved`): the gaps before a first valid hour take that maximum. The valid
    hours those rows look back on start at `lookback_from`: enough days before the recomputed
    rows to hold `lookback` valid hours (the longest trailing maximum), or all (null; always when
    the maximum moved). -#}
{% macro cems_substitution_scope(first_day, lookback) -%}
    {%- set quarter = "cast(date_trunc('quarter', timestamp '" ~ first_day ~ "') as timestamp)" -%}
substitution_hours as (
    select mn, pollutant_code, hour_start, mass_kg,
        hour_status = 'valid' and mass_kg is not null as is_valid_hour
    from grid_all
),

substitution_pairs as (
    select
        h.mn,
        h.pollutant_code,
        case
            when h.last_valid_before is not null
                then least({{ quarter }}, date_trunc('day', h.last_valid_before + interval 1 hour))
        end as recompute_from,
        date_trunc('day', h.first_valid) + interval 1 day as first_valid_day_end,
        coalesce(kept.max_all_kg <> h.max_all_kg, false) as max_moved
    from (
        select
            mn,
            pollutant_code,
            max(hour_start) filter (where is_valid_hour and hour_start < {{ quarter }})
                as last_valid_before,
            min(hour_start) filter (where is_valid_hour) as first_valid,
            max(mass_kg) filter (where is_valid_hour) as max_all_kg
        from substitution_hours
        group by mn, pollutant_code
    ) as h
    left join (
        select mn, pollutant_code, max(substituted_mass_kg) as max_all_kg
        from {{ this }}
        where substitution_method = 'max_all_valid'
        group by mn, pollutant_code
    ) as kept on kept.mn = h.mn and kept.pollutant_code = h.pollutant_code
),

scope as (
    select
        p.mn,
        p.pollutant_code,
        p.recompute_from,
        p.first_valid_day_end,
        p.max_moved,
        case
            -- the gaps before the first valid hour look forward to it, wherever it lies
            when p.max_moved then null
            {%- for days in (100, 250) %}
            when count(*) filter (
                where h.is_valid_hour
                    and h.hour_start >= p.recompute_from - interval {{ days }} day
                    and h.hour_start < p.recompute_from
            ) >= {{ lookback }} then p.recompute_from - interval {{ days }} day
            {%- endfor %}
        end as lookback_from
    from substitution_pairs as p
    left join substitution_hours as h
        on h.mn = p.mn and h.pollutant_code = p.pollutant_code
        and h.hour_start < p.recompute_from
        and h.hour_start >= p.recompute_from - interval 250 day
    group by p.mn, p.pollutant_code, p.recompute_from, p.first_valid_day_end, p.max_moved
)
{%- endmacro %}

{#- Incremental strategy for a model recomputing rows of the CEMS hour grain that are not whole
    days of every pair (cems_hourly_substituted): the target's rows with the keys of the new ones
    are deleted and the new rows inserted, in `day_order`. When the model recomputed everything
    (a registry or grid change: `cems_days_filter` is true), every old row goes, so that none
    left out of the new grid stays. -#}
{% macro get_incremental_replace_rows_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    {%- set everything = cems_days_filter(
        config.get('day_column', 'hour_start'),
        registry=config.get('registry_sensitive', false),
        grid=config.get('grid_coverage', false),
    ) == 'true' -%}
    {%- if everything %}
    delete from {{ target }};
    {%- else %}
    delete from {{ target }} as t using {{ source }} as s
    where t.mn = s.mn and t.pollutant_code = s.pollutant_code and t.hour_start = s.hour_start;
    {%- endif %}
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
    order by {{ config.get('day_order', 'mn, pollutant_code, hour_start') }}
{%- endmacro %}
