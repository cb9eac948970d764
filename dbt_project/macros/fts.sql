{# The columns that name an FTS plan in a country-year: the grain every FTS plan model starts from. #}
{% macro fts_plan_key_columns() -%}
    country_code, year, plan_id, plan_code, plan_name
{%- endmacro %}
