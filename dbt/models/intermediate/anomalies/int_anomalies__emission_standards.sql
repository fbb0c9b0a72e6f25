-- The emission standard behind each monitored outlet × pollutant's permit limit, from the seed
-- anomaly_emission_standards (source kind × key industry × fuel; 'any' matches all; the most
-- specific row of the lowest priority wins). The exceedance rules cite it with its status
-- (sourced / sourced (secondary) / unverified: the standards' texts are not in the repository).
-- Grain: mn × pollutant_code.
with outlets as (
    select * from {{ ref('int_anomalies__outlet_pollutants') }}
),

standards as (
    select * from {{ ref('anomaly_emission_standards') }}
),

matched as (
    select o.mn, o.pollutant_code, s.standard_id, s.standard_code, s.standard_title_zh,
           s.local_standard_code, s.local_standard_title_zh, s.status
    from outlets o
    join standards s
      on s.source_kind in ('any', coalesce(o.source_kind, ''))
     and s.key_industry in ('any', coalesce(o.key_industry, ''))
     and s.fuel in ('any', coalesce(o.fuel, ''))
    qualify row_number() over (
        partition by o.mn, o.pollutant_code
        order by s.priority, s.source_kind = 'any', s.key_industry = 'any', s.fuel = 'any',
                 s.standard_id
    ) = 1
),

final as (
    select *,
           concat_ws('; ',
               nullif(concat_ws(' ', standard_code, standard_title_zh), ''),
               case when local_standard_code is not null
                    then '河南 ' || concat_ws(' ', local_standard_code, local_standard_title_zh) end)
           || ' [' || status || ']' as standard_basis
    from matched
)

select * from final
