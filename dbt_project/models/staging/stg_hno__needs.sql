-- HDX Global HPC HNO: one row per raw.hno_hpc row, renamed and typed. Category rows and totals are both kept
-- here; int_needs__hno keeps the totals only. Figures are parsed with parse_count and kept as given (*_raw).
-- The reference period comes from raw columns when the loader provides them (reference_period_start/end,
-- reference_year), else it is null here and int_needs__sources fills it (see that model).
{%- set raw_columns = adapter.get_columns_in_relation(source('raw', 'hno_hpc')) | map(attribute='name') | map('lower') | list if execute else [] %}
select
    upper(nullif(trim(country_iso3), '')) as country_code,
    nullif(trim(admin_1_pcode), '') as admin1_code,
    nullif(trim(admin_1_name), '') as admin1_name,
    nullif(trim(admin_2_pcode), '') as admin2_code,
    nullif(trim(admin_2_name), '') as admin2_name,
    nullif(trim(description), '') as description,
    nullif(trim(cluster), '') as cluster,
    nullif(trim(category), '') as category,
    nullif(trim(info), '') as info,
    {{ parse_count('population') }} as population,
    nullif(trim(in_need), '') as in_need_raw,
    {{ parse_count('in_need') }} as people_in_need,
    nullif(trim(targeted), '') as targeted_raw,
    {{ parse_count('targeted') }} as people_targeted,
    nullif(trim(affected), '') as affected_raw,
    {{ parse_count('affected') }} as people_affected,
    nullif(trim(reached), '') as reached_raw,
    {{ parse_count('reached') }} as people_reached,
    {% if 'reference_period_start' in raw_columns -%}
    try_cast(nullif(trim(reference_period_start), '') as date) as reference_period_start,
    {%- else -%}
    cast(null as date) as reference_period_start,
    {%- endif %}
    {% if 'reference_period_end' in raw_columns -%}
    try_cast(nullif(trim(reference_period_end), '') as date) as reference_period_end,
    {%- else -%}
    cast(null as date) as reference_period_end,
    {%- endif %}
    {% if 'reference_year' in raw_columns -%}
    try_cast(nullif(trim(reference_year), '') as integer) as reference_year,
    {%- else -%}
    cast(null as integer) as reference_year,
    {%- endif %}
    concat_ws('|', coalesce(country_iso3, ''), coalesce(admin_1_pcode, ''), coalesce(admin_1_name, ''),
              coalesce(admin_2_pcode, ''), coalesce(admin_2_name, '')) as admin_lookup_key,
    _dataset_id,
    _resource_id,
    _resource_modified,
    _source_file,
    _source_sha256,
    _row_number,
    _loaded_at,
    _source_key,
    _partition
from {{ source('raw', 'hno_hpc') }}
