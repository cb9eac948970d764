{#
  Fails with every row whose country is not one of var('countries'), the countries of the clusterwatch config
  (null passes: a flow to several countries has no single country_code). With no countries configured every
  country is in scope. Usage: data_tests: [country_in_scope]
#}
{% test country_in_scope(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} is not null
  and not ({{ in_configured_countries(column_name) }})
{% endtest %}
