-- marts.action_kilns: industrial kilns on plan tasks 19–20. Grain: kiln × rule_id × finding
-- (tech_code for inefficient treatment; the damage finding for tasks 20).
with rules as (
    select * from {{ ref('inventory_action_rules') }} where action_list = 'action_kilns'
),

kilns as (
    select
        enterprise_id, unit_id,
        {{ inventory_code('kiln_type') }} as kiln_type,
        product,
        {{ inventory_code('dust_control') }} as dust_control,
        {{ inventory_code('desulfurization') }} as desulfurization,
        {{ inventory_code('denitrification') }} as denitrification,
        {{ inventory_code('voc_control') }} as voc_control,
        damage_found, damage_description,
        cast(found_date as date) as found_date,
        cast(rectification_deadline as date) as rectification_deadline,
        cast(rectified_date as date) as rectified_date
    from {{ ref('stg_ledgers__kilns') }}
),

paths as (
    select enterprise_id, unit_id, 'dust' as control_category, dust_control as path from kilns
    union all select enterprise_id, unit_id, 'desulfurization', desulfurization from kilns
    union all select enterprise_id, unit_id, 'denitrification', denitrification from kilns
    union all select enterprise_id, unit_id, 'voc', voc_control from kilns
),

techs as (
    -- devices in series are written 'a+b': judge each device
    select enterprise_id, unit_id, control_category, {{ unnest_list(trim_elements(split_text("path", "+"))) }} as tech_code
    from paths
    where path is not null
),

inefficient as (
    select
        t.enterprise_id, t.unit_id, r.rule_id,
        t.tech_code as finding,
        r.effective_from as basis_date,
        r.effective_to as deadline,
        cast(null as date) as rectified_date,
        'category=' || t.control_category || '; tech=' || t.tech_code || ' (' || c.label_zh || ')'
            || '; fix_by=' || cast(r.effective_to as string) as detail
    from techs as t
    inner join {{ ref('inventory_control_efficiencies') }} as c
        on c.tech_code = t.tech_code and c.control_category = t.control_category and c.is_inefficient
    inner join rules as r on r.rule_id = 'T19-INEFFICIENT-TREATMENT'
),

damage as (
    select
        k.*,
        coalesce(k.rectification_deadline, r.effective_to) as deadline
    from kilns as k
    inner join rules as r on r.rule_id = 'T20-DAMAGE-OVERDUE'
    where k.damage_found
),

damage_hits as (
    select
        d.enterprise_id, d.unit_id,
        case
            when d.rectified_date is null and d.deadline < {{ inventory_as_of_date() }} then 'T20-DAMAGE-OVERDUE'
            when d.rectified_date > d.deadline then 'T20-DAMAGE-LATE'
            when d.rectified_date is null then 'T20-DAMAGE-OPEN'
        end as rule_id,
        coalesce(d.damage_description, 'damage') as finding,
        case when d.rectified_date is null and d.deadline >= {{ inventory_as_of_date() }}
            then coalesce(d.found_date, d.deadline) else d.deadline end as basis_date,
        d.deadline,
        d.rectified_date,
        concat_ws('; ',
            'damage=' || coalesce(d.damage_description, '?'),
            'found=' || coalesce(cast(d.found_date as string), '?'),
            'deadline=' || cast(d.deadline as string)
                || case when d.rectification_deadline is null then ' (plan default)' else '' end,
            'rectified=' || coalesce(cast(d.rectified_date as string), 'not yet')
        ) as detail
    from damage as d
),

hits as (
    select * from inefficient
    union all
    select * from damage_hits where rule_id is not null
)

select
    {{ inventory_rule_columns('r') }},
    h.enterprise_id,
    e.name as enterprise_name,
    e.township,
    h.unit_id,
    k.kiln_type,
    k.product,
    h.finding,
    h.deadline,
    h.rectified_date,
    h.basis_date,
    {{ inventory_as_of_date() }} as as_of_date,
    h.deadline is not null and h.rectified_date is null and h.deadline < {{ inventory_as_of_date() }} as is_overdue,
    'kiln_type=' || coalesce(k.kiln_type, '?') || '; ' || h.detail as evidence
from hits as h
inner join {{ ref('inventory_action_rules') }} as r on r.rule_id = h.rule_id
left join kilns as k on k.enterprise_id = h.enterprise_id and k.unit_id = h.unit_id
left join {{ ref('stg_registry__enterprises') }} as e on e.enterprise_id = h.enterprise_id
