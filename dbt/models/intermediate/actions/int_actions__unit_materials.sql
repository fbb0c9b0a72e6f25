-- What each unit buys among coatings, inks, adhesives and cleaners (activity ledger, category
-- solvent), classified low-VOC or solvent-type by the action_low_voc_materials seed, for plan tasks
-- 24 and 29. Grain: enterprise × unit (unit_id null: bought for the enterprise as a whole).
-- A unit is judged on what it buys now: its latest month with judged purchases up to the as-of
-- date; diluents are reported but never decide (GB 38507-2020 does not apply to them).
with purchases as (
    select
        a.enterprise_id,
        a.unit_id,
        a.period as period_month,
        a.item,
        lower(trim(a.item)) as item_lc,
        coalesce(i.activity_item, 'solvent') as activity_item,
        a.quantity_canonical as quantity,
        a.canonical_unit,
        a.voc_content_pct,
        {{ row_surrogate_id() }} as purchase_no
    from {{ ref('stg_activity__monthly_activities') }} as a
    left join {{ ref('inventory_activity_items') }} as i on lower(trim(i.raw_item)) = lower(trim(a.item))
    where a.category = 'solvent' and a.period <= {{ inventory_as_of_date() }}
),

classes as (
    select * from {{ ref('action_low_voc_materials') }}
),

classified as (
    select
        p.*,
        c.class_id,
        c.material_class,
        c.is_judged,
        case
            when c.is_low_voc is null then coalesce(p.voc_content_pct < c.max_voc_content_pct, false)
            else c.is_low_voc
                and (c.max_voc_content_pct is null or p.voc_content_pct is null
                     or p.voc_content_pct <= c.max_voc_content_pct)
        end as is_low_voc,
        coalesce(c.is_low_voc and p.voc_content_pct > c.max_voc_content_pct, false) as is_over_class_ceiling,
        p.item || coalesce(' ' || cast({{ round_exact("p.voc_content_pct", 1) }} as string) || '%', '')
            || case
                when not c.is_judged then ' [' || c.label_zh || ']'
                when c.is_low_voc and p.voc_content_pct > c.max_voc_content_pct
                    then ' [' || c.label_zh || ' > ' || cast(c.max_voc_content_pct as string) || '%]'
                else ''
            end as item_text
    from purchases as p
    inner join classes as c
        on {{ regex_matches("p.item_lc", "c.name_pattern") }}
        and c.activity_item in ('any', p.activity_item)
    qualify row_number() over (partition by p.purchase_no order by c.priority) = 1
),

latest as (
    select enterprise_id, unit_id, max(period_month) as latest_month
    from classified
    where is_judged
    group by enterprise_id, unit_id
),

units as (
    select distinct enterprise_id, unit_id from classified
)

select
    u.enterprise_id,
    u.unit_id,
    l.latest_month,
    bool_and(c.is_low_voc) filter (where c.is_judged and c.period_month = l.latest_month)
        as latest_all_low_voc,
    coalesce(bool_or(not c.is_low_voc and not c.is_over_class_ceiling)
        filter (where c.is_judged and c.period_month = l.latest_month), false) as latest_has_solvent_type,
    coalesce(bool_or(c.is_over_class_ceiling)
        filter (where c.is_judged and c.period_month = l.latest_month), false) as latest_has_over_ceiling,
    {{ ordered_string_agg("c.item_text", "', '", "c.item_text", distinct=true, filter="c.period_month = l.latest_month") }} as latest_items,
    {{ ordered_string_agg("c.item_text", "', '", "c.item_text", distinct=true, filter="c.is_judged and c.period_month = l.latest_month and not c.is_low_voc") }}
        as latest_not_low_voc_items,
    coalesce(sum(c.quantity) filter (
        where c.is_judged and c.canonical_unit = 't' and c.period_month > l.latest_month - interval 12 month
    ), 0) as judged_t_12m,
    coalesce(sum(c.quantity) filter (
        where c.is_judged and c.is_low_voc and c.canonical_unit = 't'
            and c.period_month > l.latest_month - interval 12 month
    ), 0) as low_voc_t_12m,
    coalesce(sum(c.quantity) filter (
        where not c.is_judged and c.canonical_unit = 't'
            and c.period_month > coalesce(l.latest_month, {{ inventory_as_of_date() }}) - interval 12 month
    ), 0) as diluent_t_12m
from units as u
left join latest as l on l.enterprise_id = u.enterprise_id and l.unit_id is not distinct from u.unit_id
left join classified as c on c.enterprise_id = u.enterprise_id and c.unit_id is not distinct from u.unit_id
group by u.enterprise_id, u.unit_id, l.latest_month
