-- FTS funding per plan by organisation (API groupby=organization), one row per raw row, renamed and typed.
select
    upper(nullif(trim(country_code), '')) as country_code,
    try_cast(nullif(trim(plan_id), '') as bigint) as plan_id,
    lower(trim(section)) as section,
    lower(nullif(trim(direction), '')) as direction,
    try_cast(nullif(trim(organization_id), '') as bigint) as fts_organisation_id,
    nullif(trim(organization_name), '') as fts_organisation_name,
    {{ parse_amount('revised_requirements') }} as requirements_usd,
    {{ parse_amount('orig_requirements') }} as original_requirements_usd,
    {{ parse_amount('total_funding') }} as funding_usd,
    {{ lineage_columns() }}
from {{ scrubbed_source('fts_plan_organisations') }}
