{#
  The countries in scope, from var('countries') (the clusterwatch config passes it; empty = every country).
  - configured_countries(): the ISO3 list (a comma-separated string is accepted when passed by hand);
  - in_configured_countries(column): a predicate keeping rows of those countries (`true` when none is set).
#}
{% macro configured_countries() -%}
    {%- set countries = var('countries', []) -%}
    {%- if countries is string -%}{%- set countries = countries.split(',') -%}{%- endif -%}
    {{ return(countries | map('trim') | map('upper') | reject('equalto', '') | list) }}
{%- endmacro %}

{% macro in_configured_countries(column) -%}
    {%- set countries = configured_countries() -%}
    {%- if countries | length > 0 -%}
    {{ column }} in ({% for c in countries %}'{{ c }}'{{ ', ' if not loop.last }}{% endfor %})
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}
