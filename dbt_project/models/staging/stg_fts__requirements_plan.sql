-- FTS requirements and funding by plan: one row per raw row, renamed and typed.
select
    {{ fts_plan_columns() }},
    try_cast(nullif(trim(type_id), '') as integer) as plan_type_id,
    nullif(trim(type_name), '') as plan_type_name,
    {{ fts_plan_period_columns() }},
    {{ fts_amount_columns() }},
    {{ lineage_columns() }}
from {{ scrubbed_source('fts_plan') }}
