-- One row per FTS funding flow (deduplicated by flow id in int_fts_flows_deduplicated).
--   * A flow to several clusters stays one row: cluster_codes lists the clusters (comma-joined), the amount
--     is counted once. Never join this table to a per-cluster table and sum amount_usd.
--   * Pledges are kept apart: is_pledge is true for status `pledge`; funding totals are
--     sum(amount_usd) where not is_pledge (paid + commitment), as FTS reports funding.
--   * country_code is the destination country when the flow goes to exactly one country; flows to several
--     countries have country_code null and list them in country_codes (FTS does not split the amount).
--   * When var('countries') is set, flows with at least one destination country in it are kept.
--   * year = the destination plan's year (int_fts_plan_years) when the flow goes to a plan, else the flow's own
--     year: FTS's destination usage year, else the year of the flow date. budget_year is kept beside it.
--   * A flow without any destination cluster has cluster_codes 'UNASSIGNED', so that it is counted visibly
--     in any breakdown by cluster.
{% set countries = configured_countries() %}

with flows as (
    select * from {{ ref('int_fts_flows_deduplicated') }}
),

flow_clusters as (
    select
        flow_id,
        string_agg(distinct cluster_code, ',' order by cluster_code) as cluster_codes,
        string_agg(distinct cluster_name, '; ' order by cluster_name) filter (where cluster_code is null) as unmapped_clusters
    from {{ ref('int_fts_flow_clusters') }}
    group by flow_id
),

plan_years as (
    select plan_id, plan_year from {{ ref('int_fts_plan_years') }}
),

shaped as (
    select
        flows.*,
        list_sort(list_distinct(
            list_filter(list_transform(string_split(coalesce(flows.dest_locations, ''), ','), lambda x: trim(x)), lambda x: x <> '')
        )) as destination_countries,
        cast(coalesce(plan_years.plan_year, flows.dest_usage_year_start, year(flows.flow_date)) as integer) as flow_year,
        case
            when plan_years.plan_year is not null then 'plan'
            when flows.dest_usage_year_start is not null then 'usage_year'
            when flows.flow_date is not null then 'date'
        end as year_basis
    from flows
    left join plan_years
        on plan_years.plan_id = flows.dest_plan_id
)

select
    shaped.flow_id,
    shaped.flow_date as date,
    shaped.flow_year as year,
    shaped.year_basis,
    shaped.budget_year,
    shaped.src_organization as donor,
    shaped.src_organization_types as donor_type,
    shaped.dest_organization as recipient_org,
    shaped.dest_organization_types as recipient_type,
    case when len(shaped.destination_countries) = 1 then shaped.destination_countries[1] end as country_code,
    nullif(array_to_string(shaped.destination_countries, ','), '') as country_codes,
    shaped.dest_plan_code as plan_code,
    case when shaped.dest_global_clusters is null then 'UNASSIGNED' else flow_clusters.cluster_codes end as cluster_codes,
    shaped.dest_global_clusters is null as is_cluster_unassigned,
    shaped.dest_global_clusters as cluster_names,
    flow_clusters.unmapped_clusters,
    shaped.amount_usd,
    shaped.status,
    shaped.status = 'pledge' as is_pledge,
    shaped.flow_type,
    shaped.contribution_type,
    shaped.dest_plan_id as plan_id,
    shaped.dest_plan_name as plan_name,
    shaped.updated_at,
    shaped.source_row_count,
    make_date(shaped.flow_year, 1, 1) as reference_period_start,
    make_date(shaped.flow_year, 12, 31) as reference_period_end,
    shaped.source_dataset_ids,
    shaped._source_file as source_file,
    shaped._row_number as source_row_number
from shaped
left join flow_clusters
    on shaped.flow_id = flow_clusters.flow_id
{% if countries | length > 0 %}
where list_has_any(
    shaped.destination_countries,
    [{% for c in countries %}'{{ c }}'{{ ", " if not loop.last }}{% endfor %}]
)
{% endif %}
