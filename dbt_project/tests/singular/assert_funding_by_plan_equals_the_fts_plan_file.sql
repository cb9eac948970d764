-- Every row of the FTS plan file in the configured countries is one row of funding_by_plan with the same
-- requirements and funding (to the dollar), and funding_by_plan has no other row. Returns the mismatches.
with fts as (
    select country_code, year, plan_id, sum(requirements_usd) as requirements_usd, sum(funding_usd) as funding_usd
    from {{ ref('stg_fts__requirements_plan') }}
    where {{ in_configured_countries('country_code') }}
    group by all
),

mart as (
    select country_code, year, plan_id, requirements_usd, funding_usd from {{ ref('funding_by_plan') }}
)

select
    coalesce(fts.country_code, mart.country_code) as country_code,
    coalesce(fts.year, mart.year) as year,
    coalesce(fts.plan_id, mart.plan_id) as plan_id,
    fts.requirements_usd as fts_requirements_usd,
    mart.requirements_usd as mart_requirements_usd,
    fts.funding_usd as fts_funding_usd,
    mart.funding_usd as mart_funding_usd
from fts
full outer join mart
    on fts.country_code = mart.country_code
    and fts.year = mart.year
    and fts.plan_id is not distinct from mart.plan_id
where fts.country_code is null
    or mart.country_code is null
    or abs(coalesce(fts.requirements_usd, 0) - coalesce(mart.requirements_usd, 0)) >= 0.5
    or abs(coalesce(fts.funding_usd, 0) - coalesce(mart.funding_usd, 0)) >= 0.5
    or (fts.requirements_usd is null) <> (mart.requirements_usd is null)
