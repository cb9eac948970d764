-- For every plan (and the outside-plan row of each country-year), the rows of funding_by_cluster add up to
-- funding_by_plan's requirements and funding, to the dollar. Returns the plans that do not.
with plan as (
    select country_code, year, plan_id, coalesce(requirements_usd, 0) as requirements_usd,
           coalesce(funding_usd, 0) as funding_usd
    from {{ ref('funding_by_plan') }}
),

cluster as (
    select country_code, year, plan_id, coalesce(sum(requirements_usd), 0) as requirements_usd,
           coalesce(sum(funding_usd), 0) as funding_usd
    from {{ ref('funding_by_cluster') }}
    group by all
)

{{ totals_mismatches('plan', 'cluster', ['country_code', 'year', 'plan_id'], '>= 0.5', null_safe=['plan_id']) }}
