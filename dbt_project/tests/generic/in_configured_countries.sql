{#
  Fails with every row whose country is not one of var('countries'), the countries of the clusterwatch config
  (null passes: a flow to several countries has no single country_code). With no countries configured every
  country is in scope and the test passes. Usage: data_tests: [in_configured_countries]
#}
{% test in_configured_countries(model, column_name) %}
{%- set countries = var('countries') -%}
select *
from {{ model }}
where {{ column_name }} is not null
{%- if countries %}
  and {{ column_name }} not in ({% for c in countries %}'{{ c }}'{{ ', ' if not loop.last }}{% endfor %})
{%- else %}
  and false
{%- endif %}
{% endtest %}
