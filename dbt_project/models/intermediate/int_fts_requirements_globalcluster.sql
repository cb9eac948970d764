-- FTS requirements and funding by global cluster, in the configured countries, with each row's
-- Global Coordination Groups code.
--   * cluster_code comes from the seed fts_global_clusters (FTS global cluster id -> sector_code). FTS
--     clusters without a Global Coordination Groups code (`Other`, `COVID-19`, or an id the seed does not
--     know yet) get the code FTS-<id>, e.g. FTS-26513, so that they stay their own rows.
--   * Rows with a blank FTS cluster id are kept with their own codes, so that totals reconcile with FTS:
--       `Not specified`                      -> NOT_SPECIFIED (funding FTS could not attribute to a cluster)
--       `Multiple clusters/sectors (shared)` -> SHARED        (funding given to several clusters at once)
--   * Rows with a blank plan id (funding outside any plan) are kept with plan_id/plan_code null.
with requirements as (
    select * from {{ ref('stg_fts__requirements_globalcluster') }}
    where {{ in_configured_countries('country_code') }}
),

global_clusters as (
    select fts_cluster_id, sector_code from {{ ref('fts_global_clusters') }}
)

select
    requirements.country_code,
    requirements.year,
    requirements.plan_id,
    requirements.plan_code,
    requirements.plan_name,
    requirements.plan_start_date,
    requirements.plan_end_date,
    requirements.fts_cluster_id,
    requirements.fts_cluster_name,
    case
        when requirements.fts_cluster_id is not null
            then coalesce(global_clusters.sector_code, 'FTS-' || requirements.fts_cluster_id)
        when {{ normalise_key('requirements.fts_cluster_name') }} like 'multiple clusters%' then 'SHARED'
        else 'NOT_SPECIFIED'
    end as cluster_code,
    requirements.requirements_usd,
    requirements.funding_usd,
    requirements.percent_funded_published,
    requirements._dataset_id,
    requirements._resource_id,
    requirements._resource_modified,
    requirements._source_file,
    requirements._source_sha256,
    requirements._row_number,
    requirements._loaded_at,
    requirements._source_key,
    requirements._partition
from requirements
left join global_clusters
    on requirements.fts_cluster_id = global_clusters.fts_cluster_id
