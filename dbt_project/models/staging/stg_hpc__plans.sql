-- HPC humanitarian response plans: one row per raw row, renamed and typed.
-- HDX labels the plan name column `planVersion` (its HXL tag is #response+name): it is renamed plan_name.
-- Multi-valued fields (categories, locations, years) stay as published, ' | '-separated.
select
    nullif(trim(code), '') as plan_code,
    try_cast(nullif(trim(internal_id), '') as bigint) as plan_id,
    try_cast(left(nullif(trim(start_date), ''), 10) as date) as plan_start_date,
    try_cast(left(nullif(trim(end_date), ''), 10) as date) as plan_end_date,
    nullif(trim(plan_version), '') as plan_name,
    nullif(trim(categories), '') as categories,
    upper(nullif(trim(locations), '')) as locations,
    nullif(trim(years), '') as years,
    {{ lineage_columns() }}
from {{ scrubbed_source('hpc_plans') }}
