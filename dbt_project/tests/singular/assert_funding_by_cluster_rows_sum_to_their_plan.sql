-- For every plan (and the outside-plan row of each country-year), the rows of funding_by_cluster add up to
-- funding_by_plan's requirements and funding, to the dollar. Returns the plans that do not.
with plans as (
    select country_code, year, plan_id, coalesce(requirements_usd, 0) as requirements_usd,
           coalesce(funding_usd, 0) as funding_usd
    from {{ ref('funding_by_plan') }}
),

clusters as (
    select country_code, year, plan_id, coalesce(sum(requirements_usd), 0) as requirements_usd,
           coalesce(sum(funding_usd), 0) as funding_usd
    from {{ ref('funding_by_cluster') }}
    group by all
)

select
    coalesce(plans.country_code, clusters.country_code) as country_code,
    coalesce(plans.year, clusters.year) as year,
    coalesce(plans.plan_id, clusters.plan_id) as plan_id,
    plans.requirements_usd as plan_requirements_usd,
    clusters.requirements_usd as cluster_requirements_usd,
    plans.funding_usd as plan_funding_usd,
    clusters.funding_usd as cluster_funding_usd
from plans
full outer join clusters
    on plans.country_code = clusters.country_code
    and plans.year = clusters.year
    and plans.plan_id is not distinct from clusters.plan_id
where plans.country_code is null
    or clusters.country_code is null
    or abs(plans.requirements_usd - clusters.requirements_usd) >= 0.5
    or abs(plans.funding_usd - clusters.funding_usd) >= 0.5
