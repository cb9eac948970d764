-- Every plan's funding broken down by the plan's own cluster lines (FTS per-plan cluster file), in the
-- configured countries, so that the lines of each plan add up to the plan in the FTS plan file.
--   * Each plan cluster line keeps its own FTS code and name (cluster_code, cluster_name) and gets the global
--     cluster it counts as (global_cluster_code: one of the 15 IASC clusters and areas of responsibility),
--     through the seed fts_plan_cluster_kinds (refugee and COVID-19 lines, combined lines) and then the sector
--     aliases (the config's for the country, then global, then the seed) on sector_key, like every other source. Lines that are not an IASC cluster (refugee response, COVID-19, enabling programmes,
--     multi-purpose cash, coordination, unknown names) have global_cluster_code null.
--   * `Not specified` and `Multiple clusters/sectors (shared)` lines -> NOT_SPECIFIED and SHARED.
--   * PLAN_REMAINDER: the part of the plan (requirements and funding from the plan file) that the cluster file
--     does not break down: whole plans with no cluster lines (regional plans, appeals before 2007) and the
--     small differences FTS leaves between the two files. One row per plan when the difference is not zero.
--   * OUTSIDE_PLAN: the plan file's `Not specified` row (funding outside any plan), plan_id null.
{% set iasc_clusters = ['SHL', 'CCM', 'FSC', 'WSH', 'HEA', 'NUT', 'EDU', 'LOG', 'TEL', 'ERY',
                        'PRO', 'PRO-CPN', 'PRO-GBV', 'PRO-HLP', 'PRO-MIN'] %}

with lines as (
    select *, {{ normalise_key('plan_cluster_name') }} as name_key
    from {{ ref('stg_fts__requirements_cluster') }}
    where {{ in_configured_countries('country_code') }}
),

plans as (
    select * from {{ ref('int_fts_plans') }}
),

alias_keys as (
    {{ sector_alias_keys() }}
),

kinds as (
    select priority, pattern, line_type, global_cluster_code from {{ ref('fts_plan_cluster_kinds') }}
),

line_kind as (
    -- the first pattern (by priority) that matches the line's name
    select lines._source_key, lines._row_number, arg_min(kinds.line_type, kinds.priority) as line_type,
           arg_min(kinds.global_cluster_code, kinds.priority) as kind_global_code
    from lines
    join kinds on regexp_matches(lines.name_key, kinds.pattern)
    where lines.plan_cluster_id is not null
    group by all
),

classified as (
    select
        lines.country_code,
        lines.year,
        lines.plan_id,
        lines.plan_code,
        lines.plan_name,
        lines.plan_start_date,
        lines.plan_end_date,
        case
            when lines.plan_cluster_id is not null then lines.plan_cluster_id
            when lines.name_key like 'multiple clusters%' then 'SHARED'
            else 'NOT_SPECIFIED'
        end as cluster_code,
        lines.plan_cluster_name as cluster_name,
        case
            when lines.plan_cluster_id is null then case when lines.name_key like 'multiple clusters%' then 'shared' else 'not_specified' end
            else coalesce(line_kind.line_type, 'cluster')
        end as line_type,
        case
            when lines.plan_cluster_id is null or line_kind.line_type in ('refugee_response', 'covid') then null
            else coalesce(line_kind.kind_global_code, {{ sector_code_of('aliases') }})
        end as mapped_code,
        lines.requirements_usd,
        lines.funding_usd,
        lines._dataset_id,
        lines._source_key,
        lines._source_file,
        lines._row_number
    from lines
    left join line_kind
        on line_kind._source_key = lines._source_key and line_kind._row_number = lines._row_number
    {{ sector_alias_join('alias_keys', 'aliases', 'lines.plan_cluster_name', 'lines.country_code') }}
),

plan_lines as (
    select
        * exclude (mapped_code),
        case when mapped_code in ({% for c in iasc_clusters %}'{{ c }}'{{ ", " if not loop.last }}{% endfor %})
            then mapped_code end as global_cluster_code,
        mapped_code as sector_code
    from classified
),

line_totals as (
    select country_code, plan_id, year,
           coalesce(sum(requirements_usd), 0) as requirements_usd,
           coalesce(sum(funding_usd), 0) as funding_usd
    from plan_lines
    group by all
),

remainders as (
    select
        plans.country_code,
        plans.year,
        plans.plan_id,
        plans.plan_code,
        plans.plan_name,
        plans.plan_start_date,
        plans.plan_end_date,
        case when plans.plan_id is null then 'OUTSIDE_PLAN' else 'PLAN_REMAINDER' end as cluster_code,
        case when plans.plan_id is null then 'Outside any plan'
             else 'Plan total not broken down by cluster in FTS' end as cluster_name,
        case when plans.plan_id is null then 'outside_plan' else 'plan_remainder' end as line_type,
        cast(null as varchar) as global_cluster_code,
        cast(null as varchar) as sector_code,
        case
            when plans.plan_id is null then plans.requirements_usd
            when plans.requirements_usd is null and coalesce(line_totals.requirements_usd, 0) = 0 then null
            else coalesce(plans.requirements_usd, 0) - coalesce(line_totals.requirements_usd, 0)
        end as requirements_usd,
        case
            when plans.plan_id is null then plans.funding_usd
            else coalesce(plans.funding_usd, 0) - coalesce(line_totals.funding_usd, 0)
        end as funding_usd,
        plans._dataset_id,
        plans._source_key,
        plans._source_file,
        plans._row_number
    from plans
    left join line_totals
        on {{ same_keys('line_totals', 'plans', ['country_code', 'plan_id', 'year']) }}
)

select
    country_code, year, plan_id, plan_code, plan_name, plan_start_date, plan_end_date, cluster_code,
    cluster_name, line_type, global_cluster_code, sector_code, requirements_usd, funding_usd,
    _dataset_id, _source_key, _source_file, _row_number
from plan_lines

union all

select
    country_code, year, plan_id, plan_code, plan_name, plan_start_date, plan_end_date, cluster_code,
    cluster_name, line_type, global_cluster_code, sector_code, requirements_usd, funding_usd,
    _dataset_id, _source_key, _source_file, _row_number
from remainders
where plan_id is null
    or coalesce(requirements_usd, 0) <> 0
    or coalesce(funding_usd, 0) <> 0
