-- How completely each country's 3W/4W reports each sector: one row per country × sector with need in the chosen
-- needs source or presence in the chosen 3W/4W, and whether the sector looks under-reported.
-- possibly_underreported (either rule; var('gap_underreported_factor'), default 0.25):
--   * fewer organisations than other sectors with similar need: the sector's organisations per million people
--     in need are below the factor × the median of the country's sectors (sectors with need and presence
--     reported). Somalia shelter 2025: 4 organisations for 4.1M in need = 0.97 per million, where the median
--     sector has 7.8.
--   * fewer organisations than the previous 3W of the same country: the latest presence resource that ends
--     before the chosen ones starts had at least 1 / factor times as many organisations in the sector.
-- A sector the 3W never reports is not "under-reported" here: its partners are unknown (presence_reported).
-- Sector people in need: the chosen source's admin2 rows of the sector, else its admin1 rows (coverage's
-- units; never a sum across sectors). Intersectoral is not assessed.
with choice as (
    select * from {{ ref('int_coverage__sources') }}
),

need_rows as (
    select n.country_code, n.sector_code, n.admin_level, n.people_in_need
    from {{ ref('int_needs') }} as n
    join choice as c
        on c.country_code = n.country_code
       and c.need_source_key = n.source_key
    where n.admin_level >= 1 and n.sector_code <> 'Intersectoral'
),

sector_need as (
    select country_code, sector_code,
           coalesce(sum(people_in_need) filter (where admin_level = 2),
                    sum(people_in_need) filter (where admin_level = 1)) as people_in_need
    from need_rows
    group by all
),

current_presence as (
    select country_code, sector_code, count(*) as presence_rows, count(distinct org_key) as organisations
    from {{ ref('int_coverage__presence') }}
    where sector_code <> 'Intersectoral'
    group by all
),

-- The previous 3W/4W: the latest resource of the country that ends before the chosen ones start.
previous_resource as (
    select p.country_code, p.source_key, max(p.reference_period_end) as period_end
    from {{ ref('int_presence') }} as p
    join choice as c
        on c.country_code = p.country_code
    where p.is_usable
      and p.reference_period_end < c.presence_period_start
    group by p.country_code, p.source_key
    qualify dense_rank() over (partition by p.country_code order by max(p.reference_period_end) desc) = 1
),

previous_presence as (
    select p.country_code, p.sector_code, string_agg(distinct p.source_key, ', ') as previous_source_keys,
           count(distinct p.org_key) as previous_organisations
    from {{ ref('int_presence') }} as p
    join previous_resource as r
        on r.country_code = p.country_code
       and r.source_key = p.source_key
    where p.is_usable and p.sector_code <> 'Intersectoral'
    group by all
),

combined as (
    select
        coalesce(n.country_code, p.country_code) as country_code,
        coalesce(n.sector_code, p.sector_code) as sector_code,
        n.people_in_need,
        p.presence_rows,
        p.organisations,
        case when n.people_in_need > 0 and p.organisations > 0
             then round(p.organisations * 1e6 / n.people_in_need, 2) end as organisations_per_million_in_need
    from sector_need as n
    full outer join current_presence as p
        on p.country_code = n.country_code
       and p.sector_code = n.sector_code
),

with_median as (
    select
        *,
        median(organisations_per_million_in_need) over (partition by country_code)
            as median_organisations_per_million
    from combined
),

flags as (
select
    m.country_code,
    m.sector_code,
    m.people_in_need,
    coalesce(m.presence_rows, 0) as presence_rows,
    coalesce(m.organisations, 0) as organisations,
    m.organisations_per_million_in_need,
    round(m.median_organisations_per_million, 2) as median_organisations_per_million,
    v.previous_source_keys,
    v.previous_organisations,
    coalesce(m.organisations_per_million_in_need
             < {{ var('gap_underreported_factor') }} * m.median_organisations_per_million, false)
        as fewer_than_similar_sectors,
    coalesce(m.organisations > 0
             and m.organisations < {{ var('gap_underreported_factor') }} * v.previous_organisations, false)
        as fewer_than_previous_3w,
    case
        when m.organisations_per_million_in_need
             < {{ var('gap_underreported_factor') }} * m.median_organisations_per_million
            then m.organisations || ' organisations for ' || m.people_in_need || ' in need: '
                 || m.organisations_per_million_in_need || ' per million, under '
                 || {{ var('gap_underreported_factor') }} || ' x the country median of '
                 || round(m.median_organisations_per_million, 2)
    end as similar_sectors_reason,
    case
        when m.organisations > 0 and m.organisations < {{ var('gap_underreported_factor') }} * v.previous_organisations
            then m.organisations || ' organisations where the previous 3W (' || v.previous_source_keys || ') had '
                 || v.previous_organisations
    end as previous_3w_reason
from with_median as m
left join previous_presence as v
    on v.country_code = m.country_code
   and v.sector_code = m.sector_code
)

select
    *,
    fewer_than_similar_sectors or fewer_than_previous_3w as possibly_underreported,
    nullif(concat_ws('; ', similar_sectors_reason, previous_3w_reason), '') as underreported_reason
from flags
