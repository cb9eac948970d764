-- FTS requirements and funding by global cluster: one row per raw row, renamed and typed.
-- Blank strings become null; amounts go through parse_amount (the one place numbers are parsed).
select
    upper(nullif(trim(country_code), '')) as country_code,
    try_cast(nullif(trim(id), '') as bigint) as plan_id,
    nullif(trim(name), '') as plan_name,
    nullif(trim(code), '') as plan_code,
    try_cast(nullif(trim(start_date), '') as date) as plan_start_date,
    try_cast(nullif(trim(end_date), '') as date) as plan_end_date,
    try_cast(nullif(trim(year), '') as integer) as year,
    nullif(trim(cluster_code), '') as fts_cluster_id,
    nullif(trim(cluster), '') as fts_cluster_name,
    {{ parse_amount('requirements') }} as requirements_usd,
    {{ parse_amount('funding') }} as funding_usd,
    {{ parse_amount('percent_funded') }} as percent_funded_published,
    {{ lineage_columns() }}
from {{ source('raw', 'fts_globalcluster') }}
