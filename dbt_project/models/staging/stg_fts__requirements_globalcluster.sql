-- FTS requirements and funding by global cluster: one row per raw row, renamed and typed.
-- Blank strings become null; amounts go through parse_amount (the one place numbers are parsed).
select
    {{ fts_plan_columns() }},
    {{ fts_plan_period_columns() }},
    {{ text_columns({'cluster_code': 'fts_cluster_id', 'cluster': 'fts_cluster_name'}) }},
    {{ fts_amount_columns() }},
    {{ lineage_columns() }}
from {{ scrubbed_source('fts_globalcluster') }}
