-- One hourly value per mn × pollutant_code × hour_start (every channel), from two sources:
-- minute data aggregated under HJ 75 (int_cems__minutes_aggregated_to_hours) and the hourly
-- packets (CN 2061). Where both exist the minute-derived value is kept (it is recomputable and
-- follows the validity rules) and the packet's own Avg/flag stay beside it with their relative
-- disagreement, so a packet that does not match its minutes is visible.
-- Incremental by day (macros/cems_incremental.sql).
{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy='replace_days',
) }}
with minute_hours as (
    select * from {{ ref('int_cems__minutes_aggregated_to_hours') }}
    where {{ cems_days_filter('hour_start') }}
),

packets as (
    select
        mn,
        pollutant_code,
        data_time as hour_start,
        avg_value,
        min_value,
        max_value,
        zs_avg_value,
        cou_value,
        flag,
        flag_2017,
        unit,
        protocol_version,
        source_file,
        line_no
    from {{ ref('int_cems__readings_pivoted') }}
    where cn = '2061' and {{ cems_days_filter('data_time') }}  -- hourly packets
),

-- held before it is sorted: one pipeline would keep the join's hash table beside the sort
combined as {{ materialized_cte() }} (
    select
        coalesce(m.mn, p.mn) as mn,
        coalesce(m.pollutant_code, p.pollutant_code) as pollutant_code,
        coalesce(m.hour_start, p.hour_start) as hour_start,
        case when m.mn is not null then 'minute' else 'hourly_packet' end as data_source,
        -- the chosen values
        case when m.mn is not null then m.avg_measured else p.avg_value end as avg_measured,
        case when m.mn is not null then m.minute_min else p.min_value end as min_measured,
        case when m.mn is not null then m.minute_max else p.max_value end as max_measured,
        case when m.mn is not null then m.minute_zs_mean else p.zs_avg_value end as sent_converted,
        case when m.mn is not null then m.valid_minutes_cou else p.cou_value end as cou_sent,
        case when m.mn is not null then m.flag else p.flag_2017 end as flag,
        case
            when m.mn is not null then m.is_valid
            -- an hourly packet counts when flagged N or T (T: see the minute rule)
            else coalesce(p.flag_2017 in ('N', 'T'), false) and p.avg_value is not null
        end as is_valid,
        coalesce(m.unit, p.unit) as unit,
        coalesce(p.protocol_version, m.protocol_version) as protocol_version,
        -- minute facts (null for hourly-only hours)
        m.minutes_reported,
        m.valid_minutes,
        m.normal_minutes,
        m.marked_minutes,
        m.stopped_minutes,
        m.over_range_minutes,
        m.minute_mean,
        -- the hourly packet as sent (null where none arrived)
        p.mn is not null as has_hourly_packet,
        p.avg_value as packet_avg_measured,
        p.zs_avg_value as packet_sent_converted,
        p.cou_value as packet_cou,
        p.flag as packet_flag_as_sent,
        p.flag_2017 as packet_flag,
        case
            when m.mn is not null and p.avg_value is not null and m.minute_mean is not null
                then (m.minute_mean - p.avg_value) / nullif(abs(p.avg_value), 0)
        end as minute_vs_packet_rel_diff,
        p.source_file as packet_source_file,
        p.line_no as packet_line_no
    from minute_hours as m
    full outer join packets as p
        on m.mn = p.mn
        and m.pollutant_code = p.pollutant_code
        and m.hour_start = p.hour_start
)

select * from combined
order by mn, pollutant_code, hour_start
