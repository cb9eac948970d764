{#
  The lookups every source joins through, written once:
  - sector_alias_keys(): normalised alias -> Global Coordination Groups code, from the sector_aliases seed;
  - admin_lookup_for(table): raw admin values of one raw table -> COD p-codes, from normalised.admin_lookup
    (built by pipelines/lib/pcodes.py with hdx-python-country), joined on the staging models' admin_lookup_key.
#}
{% macro sector_alias_keys() -%}
    select {{ normalise_key('alias') }} as alias_key, min(sector_code) as sector_code
    from {{ ref('sector_aliases') }}
    group by 1
{%- endmacro %}

{% macro admin_lookup_for(source_table) -%}
    select lookup_key, admin1_pcode, admin2_pcode, admin1_method, admin2_method, admin1_issue, admin2_issue
    from {{ source('normalised', 'admin_lookup') }}
    where source_table = '{{ source_table }}'
{%- endmacro %}
