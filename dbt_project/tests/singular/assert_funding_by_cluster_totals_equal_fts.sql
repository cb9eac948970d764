-- Per country and year, the requirements and funding of funding_by_cluster add up to the FTS plan file's
-- (stg_fts__requirements_plan, the configured countries: every plan and the funding outside plans), within $1;
-- a country-year on one side only fails too. Returns each mismatching country-year with both totals.
-- (assert_funding_by_cluster_rows_sum_to_their_plan checks the same per plan against funding_by_plan.)
with mart as (
    select country_code, year, sum(requirements_usd) as requirements_usd, sum(funding_usd) as funding_usd
    from {{ ref('funding_by_cluster') }}
    group by all
), fts as (
    select country_code, year, sum(requirements_usd) as requirements_usd, sum(funding_usd) as funding_usd
    from {{ ref('stg_fts__requirements_plan') }}
    where {{ in_configured_countries('country_code') }}
    group by all
)
{{ totals_mismatches('mart', 'fts', ['country_code', 'year'], '> 1') }}
