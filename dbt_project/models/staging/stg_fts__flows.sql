-- FTS funding flows: one row per raw row (flow ids can repeat; see int_fts_flows_deduplicated), renamed and typed.
-- Dates arrive as YYYY-MM-DD (HDX CSV) or ISO timestamps (FTS API); both are read.
select
    try_cast(nullif(trim(id), '') as bigint) as flow_id,
    try_cast(left(nullif(trim(date), ''), 10) as date) as flow_date,
    nullif(trim(date), '') as flow_date_raw,  -- as given: a date that does not read is reported (quality issues)
    try_cast(nullif(trim(budget_year), '') as integer) as budget_year,
    try_cast(nullif(trim(dest_usage_year_start), '') as integer) as dest_usage_year_start,
    try_cast(nullif(trim(dest_usage_year_end), '') as integer) as dest_usage_year_end,
    nullif(trim(description), '') as description,
    {{ parse_amount('amount_usd') }} as amount_usd,
    nullif(trim(src_organization), '') as src_organization,
    nullif(trim(src_organization_types), '') as src_organization_types,
    nullif(trim(src_locations), '') as src_locations,
    nullif(trim(dest_plan), '') as dest_plan_name,
    nullif(trim(dest_plan_code), '') as dest_plan_code,
    try_cast(nullif(trim(dest_plan_id), '') as bigint) as dest_plan_id,
    nullif(trim(dest_organization), '') as dest_organization,
    nullif(trim(dest_organization_types), '') as dest_organization_types,
    nullif(trim(dest_global_clusters), '') as dest_global_clusters,
    upper(nullif(trim(dest_locations), '')) as dest_locations,
    nullif(trim(contribution_type), '') as contribution_type,
    nullif(trim(flow_type), '') as flow_type,
    nullif(trim(method), '') as method,
    lower(nullif(trim(boundary), '')) as boundary,
    lower(nullif(trim(on_boundary), '')) as on_boundary,
    lower(nullif(trim(status), '')) as status,
    {{ parse_amount('original_amount') }} as original_amount,
    upper(nullif(trim(original_currency), '')) as original_currency,
    {{ parse_amount('exchange_rate') }} as exchange_rate,
    nullif(trim(ref_code), '') as ref_code,
    coalesce(
        try_cast(nullif(trim(created_at), '') as timestamp),
        cast(try_cast(left(nullif(trim(created_at), ''), 10) as date) as timestamp)
    ) as created_at,
    coalesce(
        try_cast(nullif(trim(updated_at), '') as timestamp),
        cast(try_cast(left(nullif(trim(updated_at), ''), 10) as date) as timestamp)
    ) as updated_at,
    {{ lineage_columns() }}
from {{ scrubbed_source('fts_flows') }}
