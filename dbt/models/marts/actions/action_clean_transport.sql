-- marts.action_clean_transport: plan tasks 10 and 14. Grain: enterprise × year × rule_id.
-- T10: clean-transport share of gate tonnage below the rule threshold (0.85); clean modes come
-- from the inventory_transport_modes seed. T14: sand-gravel enterprises with road trips by trucks
-- below China V (stage taken from the digits of emission_standard, e.g. china4 -> 4).
with rules as (
    select * from {{ ref('inventory_action_rules') }} where action_list = 'action_clean_transport'
),

gate as (
    select
        g.enterprise_id,
        cast(g.gate_time as timestamp) as gate_time,
        year(cast(g.gate_time as timestamp)) as year,
        {{ inventory_code('g.mode') }} as mode,
        {{ inventory_code('g.emission_standard') }} as emission_standard,
        try_cast(regexp_extract({{ inventory_code('g.emission_standard') }}, 'china([0-9]+)', 1) as integer)
            as china_stage,
        g.tonnes,
        coalesce(m.is_clean, md.is_clean, false) as is_clean
    from {{ ref('stg_transport__gate_records') }} as g
    left join {{ ref('inventory_transport_modes') }} as m
        on m.mode = {{ inventory_code('g.mode') }} and m.emission_standard = {{ inventory_code('g.emission_standard') }}
    left join {{ ref('inventory_transport_modes') }} as md
        on md.mode = {{ inventory_code('g.mode') }} and md.emission_standard is null
),

shares as (
    select
        enterprise_id, year,
        sum(tonnes) as transport_t,
        sum(case when is_clean then tonnes else 0 end) as clean_transport_t,
        sum(case when is_clean then tonnes else 0 end) / nullif(sum(tonnes), 0) as clean_transport_share,
        count(*) as trips,
        cast(max(gate_time) as date) as last_gate_date
    from gate
    group by enterprise_id, year
),

share_hits as (
    select
        s.enterprise_id, s.year, r.rule_id, s.transport_t, s.clean_transport_t, s.clean_transport_share,
        cast(null as bigint) as below_standard_trips,
        s.last_gate_date as basis_date,
        'clean_t=' || cast({{ round_exact("s.clean_transport_t", 1) }} as string) || ' of ' || cast({{ round_exact("s.transport_t", 1) }} as string)
            || ' t; share=' || cast({{ round_exact("s.clean_transport_share", 4) }} as string)
            || ' < ' || cast(r.threshold_num as string) || '; trips=' || cast(s.trips as string) as evidence
    from shares as s
    inner join rules as r on r.rule_id = 'T10-CLEAN-SHARE'
    where s.transport_t > 0 and s.clean_transport_share < r.threshold_num
),

sand_gravel as (
    select
        g.enterprise_id, g.year,
        count(*) as below_standard_trips,
        sum(g.tonnes) as below_standard_t,
        cast(min(g.gate_time) as date) as first_date,
        {{ ordered_string_agg("g.emission_standard", "','", "g.emission_standard", distinct=true) }} as standards
    from gate as g
    inner join {{ ref('stg_registry__enterprises') }} as e on e.enterprise_id = g.enterprise_id
    inner join rules as r on r.rule_id = 'T14-SAND-GRAVEL-TRUCKS'
    where {{ list_has(split_text("r.scope_key_industry", "|"), inventory_code('e.key_industry')) }}
        and g.mode = 'road' and g.china_stage < r.threshold_num
    group by g.enterprise_id, g.year
),

sand_hits as (
    select
        sg.enterprise_id, sg.year, r.rule_id, s.transport_t, s.clean_transport_t, s.clean_transport_share,
        sg.below_standard_trips,
        sg.first_date as basis_date,
        'trips_below_china' || cast(cast(r.threshold_num as integer) as string) || '='
            || cast(sg.below_standard_trips as string) || ' (' || sg.standards || '); tonnes='
            || cast({{ round_exact("sg.below_standard_t", 1) }} as string) || '; first=' || cast(sg.first_date as string)
            as evidence
    from sand_gravel as sg
    inner join rules as r on r.rule_id = 'T14-SAND-GRAVEL-TRUCKS'
    left join shares as s on s.enterprise_id = sg.enterprise_id and s.year = sg.year
),

hits as (
    select * from share_hits
    union all
    select * from sand_hits
)

select
    {{ inventory_rule_columns('r') }},
    h.enterprise_id,
    e.name as enterprise_name,
    e.township,
    e.key_industry,
    h.year,
    h.transport_t,
    h.clean_transport_t,
    h.clean_transport_share,
    h.below_standard_trips,
    h.basis_date,
    {{ inventory_as_of_date() }} as as_of_date,
    h.evidence
from hits as h
inner join rules as r on r.rule_id = h.rule_id
left join {{ ref('stg_registry__enterprises') }} as e on e.enterprise_id = h.enterprise_id
