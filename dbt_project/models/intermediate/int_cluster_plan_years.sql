-- One row per country × global cluster × year in which the cluster appears in the country's plans:
-- a plan row (plan id not blank) of the FTS global-cluster file with requirements or funding above zero.
-- Only the IASC clusters and areas of responsibility count (the Global Coordination Groups codes below);
-- Cash, Multi-sector, Coordination and support services, FTS-<id>, Not specified and shared rows are not
-- clusters and are left out. Years after the as-of date's year (plans published ahead) are left out too.
-- This is the evidence from which cluster_activations derives its periods (evidence = plan_years).
{% set iasc_clusters = [
    'SHL', 'CCM', 'FSC', 'WSH', 'HEA', 'NUT', 'EDU', 'LOG', 'TEL', 'ERY',
    'PRO', 'PRO-CPN', 'PRO-GBV', 'PRO-HLP', 'PRO-MIN'
] %}

with requirements as (
    select * from {{ ref('int_fts_requirements_globalcluster') }}
)

select
    country_code,
    cluster_code,
    year,
    sum(requirements_usd) as requirements_usd,
    sum(funding_usd) as funding_usd,
    string_agg(distinct plan_code, ',' order by plan_code) as plan_codes,
    string_agg(distinct fts_cluster_name, ',' order by fts_cluster_name) as fts_cluster_names,
    string_agg(distinct _dataset_id, ',' order by _dataset_id) as source_dataset_ids
from requirements
where plan_id is not null
    and cluster_code in ({% for c in iasc_clusters %}'{{ c }}'{{ ", " if not loop.last }}{% endfor %})
    and (coalesce(requirements_usd, 0) > 0 or coalesce(funding_usd, 0) > 0)
    and year <= year(cast('{{ var("as_of") }}' as date))
group by country_code, cluster_code, year
