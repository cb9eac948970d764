-- One row per country × cluster × year in which the cluster has a line of its own in one of the country's
-- plans (FTS per-plan cluster file, int_fts_plan_clusters) with requirements or funding above zero.
--   * A cluster line counts as its IASC cluster (global_cluster_code: SHL ... PRO-MIN); refugee response lines
--     count as REF (structure refugee_response in cluster_activations). Other lines (COVID-19, cash,
--     coordination, multi-sector, unknown names, Not specified, shared) are no evidence of a cluster.
--   * plan_types lists the types of the plans that evidence the year (for cluster_activations.confidence);
--     is_flash_appeal_only is true when every one of them is a flash appeal.
--   * Years after the as-of date's year (plans published ahead) are left out.
with lines as (
    select * from {{ ref('int_fts_plan_clusters') }}
    where plan_id is not null
        and (coalesce(requirements_usd, 0) > 0 or coalesce(funding_usd, 0) > 0)
        and year <= year(cast('{{ var("as_of") }}' as date))
        and (global_cluster_code is not null or line_type = 'refugee_response')
),

plans as (
    select country_code, plan_id, year, plan_type from {{ ref('int_fts_plans') }}
    where plan_id is not null
)

select
    lines.country_code,
    coalesce(lines.global_cluster_code, 'REF') as cluster_code,
    lines.year,
    case when lines.line_type = 'refugee_response' then 'refugee_response' else 'cluster' end as line_structure,
    sum(lines.requirements_usd) as requirements_usd,
    sum(lines.funding_usd) as funding_usd,
    string_agg(distinct lines.plan_code, ',' order by lines.plan_code) as plan_codes,
    string_agg(distinct coalesce(plans.plan_type, 'Unknown'), ',' order by coalesce(plans.plan_type, 'Unknown')) as plan_types,
    bool_and(coalesce(plans.plan_type, '') = 'Flash appeal') as is_flash_appeal_only,
    string_agg(distinct lines.cluster_name, '; ' order by lines.cluster_name) as plan_cluster_names,
    string_agg(distinct lines._dataset_id, ',' order by lines._dataset_id) as source_dataset_ids
from lines
left join plans
    on {{ same_keys('plans', 'lines', ['country_code', 'plan_id', 'year']) }}
group by all
