-- E-mail addresses and phone numbers found in the raw tables (macros/personal_data.sql): one row per raw row ×
-- column that holds some. Staging reads every raw table through scrubbed_source, which removes them, so none
-- reaches a mart; this model says where they were, for quality_issues (never what they were).
-- Every raw table (pipelines/lib/raw_tables.py RAW_TABLES; a test keeps the two lists equal) and every source
-- text column of it (macros/personal_data.sql source_text_columns). A table, not a view: the scan runs a
-- regular expression on every raw text cell, once, not again for each test and reader of it.
{{ config(materialized='table') }}
{%- set raw_tables = ['presence', 'hno_hpc', 'jiaf_pin', 'jiaf_severity', 'drought_needs', 'fts_globalcluster',
                      'fts_cluster', 'fts_plan', 'fts_plan_organisations', 'fts_flows', 'pcodes', 'pcode_lengths',
                      'population', 'population_wide', 'sectors', 'org_types', 'hpc_plans'] %}
{%- for table in raw_tables %}
{%- set relation = source('raw', table) %}
{%- set text = source_text_columns(relation) %}
select
    '{{ table }}' as source_table,
    _source_key,
    _dataset_id,
    _source_file,
    _row_number,
    _partition,
    found.field,
    found.kind
from (
    select
        _source_key, _dataset_id, _source_file, _row_number, _partition,
        unnest(list_filter([
            {%- for c in text %}
            {'field': '{{ c }}', 'kind': {{ personal_data_kind(adapter.quote(c)) }}}{{ ',' if not loop.last }}
            {%- endfor %}
        ], lambda x: x.kind is not null)) as found
    from {{ relation }}
    {%- if text %}
    where regexp_matches(concat_ws(' ', {% for c in text %}{{ adapter.quote(c) }}{{ ', ' if not loop.last }}{% endfor %}), {{ _pd_hint() }})
    {%- else %}
    where false
    {%- endif %}
)
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
