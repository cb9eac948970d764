{# Fails (one row) when the model has no row at all: an empty mart is never published. Usage: data_tests: [not_empty] #}
{% test not_empty(model) %}
select count(*) as row_count
from {{ model }}
having count(*) = 0
{% endtest %}
