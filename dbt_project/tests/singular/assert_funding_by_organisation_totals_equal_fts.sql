-- Per plan, funding_by_organisation's funding and requirements add up to FTS's by-organisation response
-- (stg_fts__plan_organisations: report3 for funding, the requirements section), within $1. Returns the plans
-- that do not.
with fts as (
    select country_code, plan_id,
           coalesce(sum(funding_usd) filter (where section = 'report3'), 0) as funding_usd,
           coalesce(sum(requirements_usd) filter (where section = 'requirements'), 0) as requirements_usd
    from {{ ref('stg_fts__plan_organisations') }}
    where {{ in_configured_countries('country_code') }}
    group by all
), mart as (
    select country_code, plan_id, coalesce(sum(funding_usd), 0) as funding_usd,
           coalesce(sum(requirements_usd), 0) as requirements_usd
    from {{ ref('funding_by_organisation') }}
    group by all
)
select coalesce(f.country_code, m.country_code) as country_code, coalesce(f.plan_id, m.plan_id) as plan_id,
       f.funding_usd as fts_funding_usd, m.funding_usd as mart_funding_usd,
       f.requirements_usd as fts_requirements_usd, m.requirements_usd as mart_requirements_usd
from fts f
full outer join mart m on f.country_code = m.country_code and f.plan_id = m.plan_id
where f.country_code is null or m.country_code is null
   or abs(f.funding_usd - m.funding_usd) > 1 or abs(f.requirements_usd - m.requirements_usd) > 1
