-- Row-level problems of the FTS sources, in the columns of the quality_issues mart (add this model to its
-- `issue_models` list). One row per source row × field, for the countries in var('countries') when set.
--   unknown_fts_cluster   an FTS global cluster id (requirements file) or name (flows) that the seed
--                         fts_global_clusters does not know -> warning: the row is kept (as FTS-<id>, or a
--                         flow without that cluster in cluster_codes); add it to the seed.
--   duplicate_flow        a flow id published more than once: every version but the one kept -> warning
--                         (the flow is counted once, from the most recently updated version).
--   no_destination_country  a flow without destLocations while var('countries') is set -> error: the flow
--                         cannot be placed in a country and is left out of funding_flows.
--   unreadable_date  a flow whose `date` cell is not a date (an Excel serial day number such as 45678) -> warning:
--                   the flow is kept without a date.
--   negative_flow         a flow with a negative amount (a refund or correction) -> warning: kept, it lowers
--                         the totals it belongs to.
--   negative_funding      a plan or cluster line of the FTS files with negative funding (a correction FTS books
--                         on `Not specified`) -> warning: kept, so totals equal FTS.
--   cluster_lines_exceed_plan  a plan whose cluster lines (per-plan cluster file) add up to more than the plan
--                         (plan file) -> warning: funding_by_cluster's PLAN_REMAINDER row is negative so that
--                         the plan's rows still add up to the plan.
{% set countries = configured_countries() %}

with requirements as (
    select * from {{ ref('int_fts_requirements_globalcluster') }}
),

seed as (
    select fts_cluster_id from {{ ref('fts_global_clusters') }}
),

flows as (
    -- flows in scope: a destination in var('countries') when set (or no destination at all, reported below)
    select * from {{ ref('stg_fts__flows') }}
    {% if countries | length > 0 %}
    where dest_locations is null
        or list_has_any(
            list_transform(string_split(dest_locations, ','), lambda x: trim(x)),
            [{% for c in countries %}'{{ c }}'{{ ", " if not loop.last }}{% endfor %}]
        )
    {% endif %}
),

kept_flows as (
    select flow_id, _source_key, _row_number, updated_at, source_row_count
    from {{ ref('int_fts_flows_deduplicated') }}
),

flow_clusters as (
    select * from {{ ref('int_fts_flow_clusters') }}
),

plan_lines as (
    select * from {{ ref('int_fts_plan_clusters') }}
)

select
    'fts_globalcluster' as source,
    r._source_key as source_key,
    r._dataset_id as dataset_id,
    r._source_file as file,
    r._row_number as "row",
    r.country_code,
    r.cluster_code as sector_code,
    'cluster_code' as field,
    r.fts_cluster_id || ' ' || coalesce(r.fts_cluster_name, '') as value,
    'unknown_fts_cluster' as issue_code,
    'FTS global cluster ' || r.fts_cluster_id || ' (' || coalesce(r.fts_cluster_name, '?')
        || ') is not in the seed fts_global_clusters; kept as ' || r.cluster_code as issue,
    'warning' as severity
from requirements as r
where r.fts_cluster_id is not null
    and r.fts_cluster_id not in (select fts_cluster_id from seed)

union all

select
    'fts_flows',
    f._source_key,
    f._dataset_id,
    f._source_file,
    f._row_number,
    case when f.dest_locations not like '%,%' then f.dest_locations end,
    cast(null as varchar),
    'dest_global_clusters',
    c.cluster_name,
    'unknown_fts_cluster',
    'Destination cluster ''' || c.cluster_name || ''' of flow ' || f.flow_id
        || ' matches no cluster of the seed fts_global_clusters; left out of cluster_codes',
    'warning'
from flow_clusters as c
join kept_flows as k
    on k.flow_id = c.flow_id
join flows as f
    on f.flow_id = k.flow_id and f._source_key = k._source_key and f._row_number = k._row_number
where c.cluster_code is null

union all

select
    'fts_flows',
    f._source_key,
    f._dataset_id,
    f._source_file,
    f._row_number,
    case when f.dest_locations not like '%,%' then f.dest_locations end,
    cast(null as varchar),
    'id',
    cast(f.flow_id as varchar),
    'duplicate_flow',
    'Flow ' || f.flow_id || ' is published ' || k.source_row_count || ' times; this copy is ignored and the flow '
        || 'is counted once (version of ' || k._source_key || ' row ' || k._row_number || ')',
    'warning'
from flows as f
join kept_flows as k
    on k.flow_id = f.flow_id
where not (f._source_key = k._source_key and f._row_number = k._row_number)

union all

select
    'fts_flows',
    f._source_key,
    f._dataset_id,
    f._source_file,
    f._row_number,
    case when f.dest_locations not like '%,%' then f.dest_locations end,
    cast(null as varchar),
    'amount_usd',
    cast(f.amount_usd as varchar),
    'negative_flow',
    'Flow ' || f.flow_id || ' has a negative amount (a refund or correction); kept, it lowers the totals it is part of',
    'warning'
from flows as f
join kept_flows as k
    on k.flow_id = f.flow_id and k._source_key = f._source_key and k._row_number = f._row_number
where f.amount_usd < 0

union all

select
    'fts_flows',
    f._source_key,
    f._dataset_id,
    f._source_file,
    f._row_number,
    case when f.dest_locations not like '%,%' then f.dest_locations end,
    cast(null as varchar),
    'date',
    f.flow_date_raw,
    'unreadable_date',
    'The date ''' || f.flow_date_raw || ''' of flow ' || coalesce(cast(f.flow_id as varchar), '?') || ' is not a date'
        || case when regexp_matches(f.flow_date_raw, '^[0-9]{5}([.][0-9]+)?$')
                then ' (an Excel serial day number?)' else '' end
        || '; the flow is kept without a date',
    'warning'
from flows as f
where f.flow_date_raw is not null and f.flow_date is null

union all

select
    case when l.line_type = 'outside_plan' then 'fts_plan' else 'fts_cluster' end,
    l._source_key,
    l._dataset_id,
    l._source_file,
    l._row_number,
    l.country_code,
    l.global_cluster_code,
    'funding',
    cast(l.funding_usd as varchar),
    'negative_funding',
    'FTS reports negative funding (a correction) for ' || coalesce(l.plan_code, 'funding outside any plan')
        || ' ' || l.year || ', line ''' || l.cluster_name || '''; kept so that totals equal FTS',
    'warning'
from plan_lines as l
where l.funding_usd < 0 and l.line_type <> 'plan_remainder'

union all

select
    'fts_cluster',
    l._source_key,
    l._dataset_id,
    l._source_file,
    l._row_number,
    l.country_code,
    cast(null as varchar),
    case when l.requirements_usd < 0 then 'requirements' else 'funding' end,
    coalesce(l.plan_code, '') || ': ' || coalesce(cast(l.requirements_usd as varchar), '') || ' / '
        || coalesce(cast(l.funding_usd as varchar), ''),
    'cluster_lines_exceed_plan',
    'The cluster lines of ' || l.plan_code || ' ' || l.year || ' add up to more than the plan in the FTS plan file ('
        || case when l.requirements_usd < 0 then 'requirements by ' || cast(-l.requirements_usd as varchar) || ' USD'
                else 'funding by ' || cast(-l.funding_usd as varchar) || ' USD' end
        || '); funding_by_cluster carries a negative PLAN_REMAINDER row so that the plan still adds up',
    'warning'
from plan_lines as l
where l.line_type = 'plan_remainder' and (l.requirements_usd < 0 or l.funding_usd < 0)

{% if countries | length > 0 %}
union all

select
    'fts_flows',
    f._source_key,
    f._dataset_id,
    f._source_file,
    f._row_number,
    cast(null as varchar),
    cast(null as varchar),
    'dest_locations',
    cast(null as varchar),
    'no_destination_country',
    'Flow ' || f.flow_id || ' has no destination country; left out of funding_flows',
    'error'
from flows as f
join kept_flows as k
    on k.flow_id = f.flow_id and k._source_key = f._source_key and k._row_number = f._row_number
where f.dest_locations is null
{% endif %}
