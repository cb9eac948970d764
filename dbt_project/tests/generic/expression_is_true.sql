{#
  Fails with every row where `expression` is false. A null result passes (the rule does not apply), so
  `reached_share < 0.25` says nothing about rows of unknown reach; restrict rows with `config: where:`.
  dbt_utils-free equivalent of dbt_utils.expression_is_true. Usage (model level, with a readable name):
    data_tests:
      - expression_is_true:
          name: gaps_rank_in_country_is_positive
          arguments:
            expression: "rank_in_country >= 1"
#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}
