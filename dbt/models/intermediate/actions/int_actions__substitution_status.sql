-- Low-VOC substitution status of each coating, printing, adhesive and cleaning unit (plan task 24),
-- shared by the task-24 and task-29 lists. Grain: enterprise × unit: VOC-ledger units of those
-- processes, plus units that buy coatings/inks/adhesives/cleaners but are missing from the ledger.
-- What a unit buys decides (int_actions__unit_materials, latest month); the ledger flag decides
-- only where nothing is bought.
--   status solvent_type   latest purchases hold a solvent-type product, or none bought and the
--                         ledger says not substituted
--   status content_check  latest purchases are named low-VOC types but one exceeds its ceiling
--   status low_voc        latest purchases all low-VOC
--   status not_judged     nothing bought and the ledger does not say "not substituted"
with voc as (
    select
        enterprise_id, unit_id,
        {{ inventory_code('process') }} as process,
        {{ inventory_code('treatment_tech') }} as treatment_tech,
        material, low_voc_substituted
    from {{ ref('stg_ledgers__voc_sources') }}
),

materials as (
    select * from {{ ref('int_actions__unit_materials') }}
),

units as (
    select
        v.enterprise_id, v.unit_id, v.process, v.treatment_tech, v.material, v.low_voc_substituted,
        true as in_voc_ledger,
        m.latest_month, m.latest_has_solvent_type, m.latest_has_over_ceiling, m.latest_items,
        m.latest_not_low_voc_items, m.judged_t_12m, m.low_voc_t_12m
    from voc as v
    left join materials as m on m.enterprise_id = v.enterprise_id and m.unit_id = v.unit_id
    where v.process in ('coating', 'printing', 'adhesive', 'cleaning')
    union all
    select
        m.enterprise_id, m.unit_id, null, null, null, null,
        false,
        m.latest_month, m.latest_has_solvent_type, m.latest_has_over_ceiling, m.latest_items,
        m.latest_not_low_voc_items, m.judged_t_12m, m.low_voc_t_12m
    from materials as m
    where m.latest_month is not null
        and not exists (
            select 1 from voc as v
            where v.enterprise_id = m.enterprise_id and v.unit_id is not distinct from m.unit_id
        )
)

select
    u.enterprise_id,
    u.unit_id,
    u.process,
    u.treatment_tech,
    u.in_voc_ledger,
    u.low_voc_substituted as ledger_low_voc_substituted,
    u.latest_month,
    case
        when u.latest_month is null and u.low_voc_substituted = false then 'solvent_type'
        when u.latest_month is null then 'not_judged'
        when u.latest_has_solvent_type then 'solvent_type'
        when u.latest_has_over_ceiling then 'content_check'
        else 'low_voc'
    end as status,
    case
        when u.latest_month is not null then u.latest_not_low_voc_items
        when u.low_voc_substituted = false then 'ledger: not substituted' || coalesce(' (' || u.material || ')', '')
    end as not_low_voc_items,
    concat_ws('; ',
        case when u.latest_month is null then 'no coating/ink/adhesive/cleaner purchases recorded'
            else 'bought ' || {{ format_time("u.latest_month", "%Y-%m") }} || ': ' || u.latest_items end,
        case when u.judged_t_12m > 0 then 'low-VOC share of 12-month purchases='
            || cast({{ round_exact("u.low_voc_t_12m / u.judged_t_12m", 3) }} as string) || ' ('
            || cast({{ round_exact("u.low_voc_t_12m", 2) }} as string) || ' of '
            || cast({{ round_exact("u.judged_t_12m", 2) }} as string) || ' t)' end,
        case when u.in_voc_ledger then 'ledger low_voc_substituted='
            || coalesce(cast(u.low_voc_substituted as string), 'not reported')
            || coalesce(' (material=' || u.material || ')', '')
            || case when u.low_voc_substituted and u.latest_has_solvent_type
                then ': contradicted by purchases' else '' end
            else 'unit not in the VOC ledger' end
    ) as finding
from units as u
