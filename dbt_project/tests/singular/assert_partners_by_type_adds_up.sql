-- partners_by_type: the types of a country and sector add up to its distinct partners (each organisation has
-- one type), the shares to 1, and the local rows to coverage's local partners of the sector. Returns offending
-- country × sector rows.
with by_type as (
    select country_code, sector_code, sum(partner_count) as partners, sum(share_of_partners) as shares,
           sum(partner_count) filter (where is_local) as local_partners
    from {{ ref('partners_by_type') }}
    group by all
),

presence as (
    select country_code, sector_code, count(distinct org_key) as partners,
           count(distinct org_key) filter (where is_local) as local_partners
    from {{ ref('int_coverage__presence') }}
    where at_coverage_level and sector_code <> 'Intersectoral'
    group by all
    union all
    select country_code, 'Intersectoral', count(distinct org_key), count(distinct org_key) filter (where is_local)
    from {{ ref('int_coverage__presence') }}
    where at_coverage_level
    group by all
)

select coalesce(b.country_code, p.country_code) as country_code, coalesce(b.sector_code, p.sector_code) as sector_code,
       b.partners, p.partners as expected_partners, b.shares, b.local_partners, p.local_partners as expected_local
from by_type as b
full outer join presence as p
    on p.country_code = b.country_code and p.sector_code = b.sector_code
where b.partners is distinct from p.partners
   or abs(b.shares - 1) > 0.001
   or coalesce(b.local_partners, 0) <> p.local_partners
