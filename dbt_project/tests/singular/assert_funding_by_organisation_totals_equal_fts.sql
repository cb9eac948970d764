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
{{ totals_mismatches('fts', 'mart', ['country_code', 'plan_id'], '> 1') }}
