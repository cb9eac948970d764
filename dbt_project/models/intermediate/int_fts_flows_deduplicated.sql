-- One row per FTS flow id. The same flow is published more than once (a flow to several countries is
-- listed on each country's page, and pages or files can overlap). The most recently updated version wins;
-- ties are broken by the newest resource, the newest load, then source key and row number, so that the
-- result does not depend on load order.
with flows as (
    select * from {{ ref('stg_fts__flows') }}
),

ranked as (
    select
        *,
        count(*) over (partition by flow_id) as source_row_count,
        array_to_string(list_sort(list_distinct(list(_dataset_id) over (partition by flow_id))), ',') as source_dataset_ids,
        row_number() over (
            partition by flow_id
            order by
                updated_at desc nulls last,
                _resource_modified desc nulls last,
                _loaded_at desc nulls last,
                _source_key,
                _row_number
        ) as version_rank
    from flows
    where flow_id is not null
)

select * exclude (version_rank)
from ranked
where version_rank = 1
