-- FTS requirements and funding per country × year × plan × plan cluster line (int_fts_plan_clusters).
--   * The rows of a plan add up to the plan in funding_by_plan (the FTS plan file): the plan's own cluster
--     lines, NOT_SPECIFIED and SHARED lines, and a PLAN_REMAINDER row for what the cluster file does not break
--     down. Funding outside any plan is one OUTSIDE_PLAN row per country-year (plan_code null).
--   * global_cluster_code is the IASC cluster the line counts as; null for lines that are no cluster.
--   * percent_funded = funding / requirements × 100 per row (ratio of sums at the grain).
--   * unmet_usd = max(requirements - funding, 0) per row. It is a per-row figure: the plan's unmet amount is
--     funding_by_plan.unmet_usd, never the sum of this column.
with lines as (
    select * from {{ ref('int_fts_plan_clusters') }}
),

sectors as (
    select sector_code, sector_name from {{ ref('sectors') }}
),

summed as (
    select
        {{ fts_plan_key_columns() }},
        cluster_code,
        cluster_name,
        line_type,
        global_cluster_code,
        sum(requirements_usd) as requirements_usd,
        sum(funding_usd) as funding_usd,
        min(plan_start_date) as plan_start_date,
        max(plan_end_date) as plan_end_date,
        string_agg(distinct _dataset_id, ',' order by _dataset_id) as source_dataset_ids,
        count(*) as source_row_count
    from lines
    group by all
)

select
    summed.country_code,
    summed.year,
    summed.plan_code,
    summed.plan_name,
    summed.cluster_code,
    summed.cluster_name,
    summed.global_cluster_code,
    sectors.sector_name as global_cluster_name,
    summed.line_type,
    summed.requirements_usd,
    summed.funding_usd,
    case when summed.requirements_usd > 0 then coalesce(summed.funding_usd, 0) / summed.requirements_usd * 100 end as percent_funded,
    case when summed.requirements_usd is not null then greatest(summed.requirements_usd - coalesce(summed.funding_usd, 0), 0) end as unmet_usd,
    summed.plan_id,
    coalesce(summed.plan_start_date, make_date(summed.year, 1, 1)) as reference_period_start,
    coalesce(summed.plan_end_date, make_date(summed.year, 12, 31)) as reference_period_end,
    summed.source_dataset_ids,
    summed.source_row_count
from summed
left join sectors
    on sectors.sector_code = summed.global_cluster_code
