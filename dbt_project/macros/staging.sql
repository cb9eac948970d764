{#
  Staging's text rule in one place: trimmed, blank -> null, one raw column to one staged column. `columns` is a
  list (names kept) or a mapping raw name -> staged name; the order given is the column order.
#}
{% macro text_columns(columns) -%}
    {%- for raw in columns %}
    nullif(trim({{ raw }}), '') as {{ columns[raw] if columns is mapping else raw }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{# The reference period columns the loader adds from the config (year only where the source has one). #}
{% macro reference_period_columns(year=true) -%}
    try_cast(nullif(trim(reference_period_start), '') as date) as reference_period_start,
    try_cast(nullif(trim(reference_period_end), '') as date) as reference_period_end
    {%- if year %},
    try_cast(nullif(trim(reference_year), '') as integer) as reference_year
    {%- endif %}
{%- endmacro %}

{# The JIAF workbook's admin columns, the same on its PiN and Severity sheets. #}
{% macro jiaf_admin_columns() -%}
    {{ text_columns({'admin_0': 'admin0_name', 'admin_1_p_code': 'admin1_code', 'admin_1': 'admin1_name',
                     'admin_2_p_code': 'admin2_code', 'admin_2': 'admin2_name',
                     'admin_3_p_code': 'admin3_code', 'admin_3': 'admin3_name'}) }}
{%- endmacro %}

{# The FTS requirements files (by plan, by cluster, by global cluster) share the plan's columns and amounts. #}
{% macro fts_plan_columns() -%}
    upper(nullif(trim(country_code), '')) as country_code,
    try_cast(nullif(trim(id), '') as bigint) as plan_id,
    {{ text_columns({'name': 'plan_name', 'code': 'plan_code'}) }}
{%- endmacro %}

{% macro fts_plan_period_columns() -%}
    try_cast(nullif(trim(start_date), '') as date) as plan_start_date,
    try_cast(nullif(trim(end_date), '') as date) as plan_end_date,
    try_cast(nullif(trim(year), '') as integer) as year
{%- endmacro %}

{% macro fts_amount_columns() -%}
    {{ parse_amount('requirements') }} as requirements_usd,
    {{ parse_amount('funding') }} as funding_usd,
    {{ parse_amount('percent_funded') }} as percent_funded_published
{%- endmacro %}
