{#
  Fails for every combination of `combination_of_columns` that occurs more than once (nulls compare equal,
  so a null admin2_code at admin1 level still counts). dbt_utils-free equivalent of
  dbt_utils.unique_combination_of_columns. Usage (model level):
    data_tests:
      - unique_combination_of_columns:
          arguments:
            combination_of_columns: [country_code, admin1_code, admin2_code, sector_code]
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
select
    {{ combination_of_columns | join(', ') }},
    count(*) as n_rows
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}
