-- FTS requirements and funding per country × year × plan: the FTS plan file, one row per plan FTS attributes
-- to the country (regional plans included, with the country's share) and one row with plan_code null for
-- funding outside any plan. Amounts are the plan file's, to the dollar.
--   * percent_funded = funding / requirements × 100, null when requirements are 0 or missing.
--   * unmet_usd = max(requirements - funding, 0) for the plan as a whole: the plan-level unmet amount (never
--     sum funding_by_cluster.unmet_usd for it: over-funded clusters would be counted as 0).
with plans as (
    select * from {{ ref('int_fts_plans') }}
),

summed as (
    select
        {{ fts_plan_key_columns() }},
        plan_type,
        min(plan_start_date) as plan_start_date,
        max(plan_end_date) as plan_end_date,
        sum(requirements_usd) as requirements_usd,
        sum(funding_usd) as funding_usd,
        string_agg(distinct _dataset_id, ',' order by _dataset_id) as source_dataset_ids,
        count(*) as source_row_count
    from plans
    group by country_code, year, plan_id, plan_code, plan_name, plan_type
)

select
    country_code,
    year,
    plan_code,
    plan_name,
    plan_type,
    requirements_usd,
    funding_usd,
    case when requirements_usd > 0 then coalesce(funding_usd, 0) / requirements_usd * 100 end as percent_funded,
    case when requirements_usd is not null then greatest(requirements_usd - coalesce(funding_usd, 0), 0) end as unmet_usd,
    plan_id,
    plan_type = 'Regional response plan' as is_regional,
    coalesce(plan_start_date, make_date(year, 1, 1)) as reference_period_start,
    coalesce(plan_end_date, make_date(year, 12, 31)) as reference_period_end,
    source_dataset_ids,
    source_row_count
from summed
