{# The lineage columns every raw row carries (pipelines/lib/warehouse.py LINEAGE_COLUMNS), kept by staging. #}
{% macro lineage_columns() -%}
    {%- for c in ['_dataset_id', '_resource_id', '_resource_modified', '_source_file', '_source_sha256',
                  '_row_number', '_loaded_at', '_source_key', '_partition'] %}
    {{ c }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
