{# Fails with every row where the column is below zero (null passes). Usage: data_tests: [not_negative] #}
{% test not_negative(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} < 0
{% endtest %}
