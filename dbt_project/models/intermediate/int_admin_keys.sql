-- Every distinct admin key of the sources with admin units, one row per (source_table, lookup_key): the list
-- the Python resolver (pipelines/lib/pcodes) turns into int_admin_lookup. The key itself is defined once,
-- by the admin_key_columns macro in the staging models; NULL and '' give the same key, so the raw values are
-- any one of the rows'. No country filter: keys of other countries are kept and reported as unmatched.
{%- set keyed_sources = [
    ('presence', 'stg_hdx__presence'),
    ('hno_hpc', 'stg_hno__needs'),
    ('jiaf_pin', 'stg_jiaf__pin'),
    ('drought_needs', 'stg_drought__needs'),
] %}
{% for source_table, model in keyed_sources %}
select
    '{{ source_table }}' as source_table,
    admin_lookup_key as lookup_key,
    any_value(admin_key_parts.country_code) as country_code,
    any_value(admin_key_parts.admin1_code) as admin1_code,
    any_value(admin_key_parts.admin1_name) as admin1_name,
    any_value(admin_key_parts.admin2_code) as admin2_code,
    any_value(admin_key_parts.admin2_name) as admin2_name
from {{ ref(model) }}
group by admin_lookup_key
{{ 'union all' if not loop.last }}
{%- endfor %}
