-- Every people_in_need of coverage equals the needs source coverage chose for the country (int_coverage__sources),
-- at the level it chose: admin2 rows as they are; an admin1 unit's own total, else the sum of its admin2 rows.
-- No need is left out and none is added. Returns each mismatching unit × sector with both figures.
with choice as (
    select country_code, need_source_key, admin_level
    from {{ ref('int_coverage__sources') }}
    where need_source_key is not null
), needs as (
    select n.*, c.admin_level as coverage_level
    from {{ ref('int_needs') }} n
    join choice c on c.country_code = n.country_code and n.source_key = c.need_source_key
), expected as (
    select country_code, admin1_pcode as admin1_code, admin2_pcode as admin2_code, sector_code,
           people_in_need as source_pin
    from needs where coverage_level = 2 and admin_level = 2
    union all
    select country_code, admin1_pcode, null, sector_code,
           coalesce(max(people_in_need) filter (where admin_level = 1),
                    sum(people_in_need) filter (where admin_level = 2))
    from needs where coverage_level = 1 and admin_level in (1, 2)
    group by country_code, admin1_pcode, sector_code
), cov as (
    select country_code, admin1_code, admin2_code, sector_code, people_in_need
    from {{ ref('coverage') }} where people_in_need is not null
)
select coalesce(c.country_code, e.country_code) as country_code,
       coalesce(c.admin1_code, e.admin1_code) as admin1_code,
       coalesce(c.admin2_code, e.admin2_code) as admin2_code,
       coalesce(c.sector_code, e.sector_code) as sector_code,
       c.people_in_need as coverage_people_in_need, e.source_pin as source_people_in_need
from cov c
full outer join expected e
  on e.country_code = c.country_code and e.sector_code = c.sector_code
 and e.admin1_code is not distinct from c.admin1_code
 and e.admin2_code is not distinct from c.admin2_code
where c.people_in_need is distinct from e.source_pin
