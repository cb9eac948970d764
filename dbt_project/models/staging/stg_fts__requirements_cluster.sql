-- FTS requirements and funding by plan-specific cluster: one row per raw row, renamed and typed.
select
    {{ fts_plan_columns() }},
    {{ fts_plan_period_columns() }},
    {{ text_columns({'cluster_code': 'plan_cluster_id', 'cluster': 'plan_cluster_name'}) }},
    {{ fts_amount_columns() }},
    {{ lineage_columns() }}
from {{ scrubbed_source('fts_cluster') }}
