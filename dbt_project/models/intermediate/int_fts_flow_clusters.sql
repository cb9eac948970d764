-- One row per FTS flow × destination global cluster, with the cluster's Global Coordination Groups code.
-- destGlobalClusters is a comma-joined list without spaces ("Health,Nutrition"), while names may hold a
-- comma followed by a space ("Protection - Housing, Land and Property"): only commas not followed by a
-- space separate values.
-- Names are matched to the seed fts_global_clusters by a key that ignores case, accents, punctuation and a
-- leading "Protection - ", because flows use shorter names for the Protection areas of responsibility
-- ("Gender Based Violence" = "Protection - Gender-Based Violence", "Mine Action", "Child Protection").
-- As in int_fts_requirements_globalcluster, an FTS cluster without a Global Coordination Groups code gets
-- FTS-<id>. A name that matches nothing keeps a null cluster_code (funding_flows lists it in unmapped_clusters).
with flows as (
    select flow_id, dest_global_clusters
    from {{ ref('int_fts_flows_deduplicated') }}
    where dest_global_clusters is not null
),

split as (
    select distinct
        flow_id,
        trim(replace(unnest(string_split(replace(dest_global_clusters, ', ', chr(31)), ',')), chr(31), ', ')) as cluster_name
    from flows
),

names as (
    select 'flow' as side, flow_id, cluster_name as name, null::varchar as fts_cluster_id, null::varchar as cluster_code
    from split
    where cluster_name <> ''
    union all
    select 'seed', null, fts_cluster_name, fts_cluster_id, coalesce(sector_code, 'FTS-' || fts_cluster_id)
    from {{ ref('fts_global_clusters') }}
),

keyed as (
    select
        *,
        regexp_replace(
            regexp_replace({{ normalise_key('name') }}, '^protection\s*-\s*', ''),
            '[^a-z0-9]', '', 'g'
        ) as name_key
    from names
),

seed_keys as (
    select name_key, min(fts_cluster_id) as fts_cluster_id, min(cluster_code) as cluster_code
    from keyed
    where side = 'seed'
    group by name_key
)

select
    flow.flow_id,
    flow.name as cluster_name,
    seed_keys.fts_cluster_id,
    seed_keys.cluster_code
from keyed as flow
left join seed_keys
    on flow.name_key = seed_keys.name_key
where flow.side = 'flow'
