-- Horn of Africa drought caseloads by cluster: one row per raw.drought_needs row (one woreda = admin3),
-- renamed. The per-cluster columns (<cluster>_affected / _target / _reached, named after the file's group
-- header: health, nutrition, food, esnfi, education, agriculture, protection, wash for Ethiopia 2022) vary
-- by file, so they are passed through as they are, as text; int_needs__drought unpivots and parses them.
-- country_code: the file has no country column, the raw partition (ISO3) is the country; admin_lookup_key
-- (admin_key_columns) uses the country column when the table has one, else _partition.
{%- set raw_columns = adapter.get_columns_in_relation(source('raw', 'drought_needs')) | map(attribute='name') | map('lower') | list if execute else [] %}
{%- set country_column = (['country_code', 'iso3', 'country_iso3'] | select('in', raw_columns) | list + ['_partition'])[0] %}
{%- set cluster_columns = [] %}
{%- for c in raw_columns %}
  {%- if modules.re.match('^[a-z0-9_]+_(affected|target|reached)$', c) and not c.startswith('overall_figures_') %}
    {%- do cluster_columns.append(c) %}
  {%- endif %}
{%- endfor %}
select
    upper(nullif(trim({{ country_column }}), '')) as country_code,
    {{ text_columns({'location_admin1_pcode': 'admin1_code', 'location_region': 'admin1_name',
                     'location_admin2_pcode': 'admin2_code', 'location_zone': 'admin2_name',
                     'location_admin3_pcode': 'admin3_code', 'location_woreda': 'admin3_name'}) }},
    {% if 'operational_priority_priority' in raw_columns -%}
    nullif(trim(operational_priority_priority), '') as operational_priority,
    {%- else -%}
    cast(null as varchar) as operational_priority,
    {%- endif %}
    {{ text_columns({'overall_figures_total_affected': 'total_affected', 'overall_figures_target': 'total_target',
                     'overall_figures_reached': 'total_reached'}) }},
    {%- if cluster_columns %}
    {{ text_columns(cluster_columns) }},
    {%- endif %}
    {{ reference_period_columns() }},
    {{ admin_key_columns(country_column, 'location_admin1_pcode', 'location_region', 'location_admin2_pcode', 'location_zone') }},
    _number_format,
    {{ lineage_columns() }}
from {{ scrubbed_source('drought_needs') }}
