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

{{ totals_mismatches('fts', 'mart', ['country_code', 'year', 'plan_id'], '>= 0.5', null_safe=['plan_id']) }}
    or (fts.requirements_usd is null) <> (mart.requirements_usd is null)
