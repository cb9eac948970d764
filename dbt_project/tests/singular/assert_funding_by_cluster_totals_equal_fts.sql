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
select coalesce(m.country_code, f.country_code) as country_code, coalesce(m.year, f.year) as year,
       m.requirements_usd as mart_requirements_usd, f.requirements_usd as fts_requirements_usd,
       m.funding_usd as mart_funding_usd, f.funding_usd as fts_funding_usd
from mart m
full outer join fts f on m.country_code = f.country_code and m.year = f.year
where abs(coalesce(m.requirements_usd, 0) - coalesce(f.requirements_usd, 0)) > 1
   or abs(coalesce(m.funding_usd, 0) - coalesce(f.funding_usd, 0)) > 1
   or m.country_code is null
   or f.country_code is null
