{#- The enterprises that dominate each township's emissions (乡镇主要排放企业): per township,
    year and pollutant, the five largest emitters with their share of the township total and
    the cumulative share, largest first (equal totals share a rank). -#}
with emissions as (
    select * from {{ ref('emissions') }}
),

enterprises as (
    select * from {{ ref('stg_registry__enterprises') }}
),

per_enterprise as (
    select
        enterprises.township,
        emissions.year,
        emissions.pollutant,
        emissions.enterprise_id,
        enterprises.name as enterprise_name,
        enterprises.key_industry,
        sum(emissions.emissions_t) as emissions_t,
        {{ ordered_string_agg("emissions.method", "','", "emissions.method", distinct=true) }} as methods
    from emissions
    inner join enterprises on enterprises.enterprise_id = emissions.enterprise_id
    group by all
),

shared as (
    select
        per_enterprise.*,
        sum(emissions_t) over (partition by township, year, pollutant) as township_total_t,
        rank() over (partition by township, year, pollutant order by emissions_t desc) as rank,
        row_number() over (
            partition by township, year, pollutant order by emissions_t desc, enterprise_id
        ) as position
    from per_enterprise
),

final as (
    select
        township,
        year,
        pollutant,
        rank,
        enterprise_id,
        enterprise_name,
        key_industry,
        {{ round_exact("emissions_t", 4, decimal=true) }} as emissions_t,
        {{ round_exact("township_total_t", 4, decimal=true) }} as township_total_t,
        {{ round_exact("cast(emissions_t as double) / nullif(township_total_t, 0)", 4) }} as share,
        {% call rounded(4) %}cast(sum(emissions_t) over (
            partition by township, year, pollutant order by position
        ) as double) / nullif(township_total_t, 0){% endcall %} as cumulative_share,
        methods
    from shared
    where position <= 5
)

select * from final
