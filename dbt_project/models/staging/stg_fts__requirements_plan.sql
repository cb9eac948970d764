-- FTS requirements and funding by plan: one row per raw row, renamed and typed.
select
    upper(nullif(trim(country_code), '')) as country_code,
    try_cast(nullif(trim(id), '') as bigint) as plan_id,
    nullif(trim(name), '') as plan_name,
    nullif(trim(code), '') as plan_code,
    try_cast(nullif(trim(type_id), '') as integer) as plan_type_id,
    nullif(trim(type_name), '') as plan_type_name,
    try_cast(nullif(trim(start_date), '') as date) as plan_start_date,
    try_cast(nullif(trim(end_date), '') as date) as plan_end_date,
    try_cast(nullif(trim(year), '') as integer) as year,
    {{ parse_amount('requirements') }} as requirements_usd,
    {{ parse_amount('funding') }} as funding_usd,
    {{ parse_amount('percent_funded') }} as percent_funded_published,
    {{ lineage_columns() }}
from {{ source('raw', 'fts_plan') }}
