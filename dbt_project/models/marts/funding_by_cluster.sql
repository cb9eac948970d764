-- FTS requirements and funding per country × year × plan × global cluster.
--   * Amounts are summed at the grain first; percent_funded is then funding / requirements (a ratio of
--     sums, never an average of the published percentages), null when requirements are 0 or missing.
--   * unmet_usd = max(requirements - funding, 0), null when requirements are missing.
--   * `Not specified` (NOT_SPECIFIED) and `Multiple clusters/sectors (shared)` (SHARED) stay as rows,
--     and so does funding outside any plan (plan_code null), so country-year totals reconcile with FTS.
with requirements as (
    select * from {{ ref('int_fts_requirements_globalcluster') }}
),

summed as (
    select
        country_code,
        year,
        plan_id,
        plan_code,
        plan_name,
        cluster_code,
        fts_cluster_id,
        fts_cluster_name as cluster_name,
        sum(requirements_usd) as requirements_usd,
        sum(funding_usd) as funding_usd,
        min(plan_start_date) as plan_start_date,
        max(plan_end_date) as plan_end_date,
        string_agg(distinct _dataset_id, ',' order by _dataset_id) as source_dataset_ids,
        count(*) as source_row_count
    from requirements
    group by country_code, year, plan_id, plan_code, plan_name, cluster_code, fts_cluster_id, fts_cluster_name
)

select
    country_code,
    year,
    plan_code,
    plan_name,
    cluster_code,
    cluster_name,
    requirements_usd,
    funding_usd,
    case when requirements_usd > 0 then coalesce(funding_usd, 0) / requirements_usd * 100 end as percent_funded,
    case when requirements_usd is not null then greatest(requirements_usd - coalesce(funding_usd, 0), 0) end as unmet_usd,
    plan_id,
    fts_cluster_id,
    coalesce(plan_start_date, make_date(year, 1, 1)) as reference_period_start,
    coalesce(plan_end_date, make_date(year, 12, 31)) as reference_period_end,
    source_dataset_ids,
    source_row_count
from summed
