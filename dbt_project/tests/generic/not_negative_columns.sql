{#
  Fails with every row where any of `column_names` is below zero (nulls pass), naming them in
  `negative_columns`. One query per model instead of one per column. Usage (model level):
    data_tests:
      - not_negative_columns:
          name: not_negative_coverage
          arguments:
            column_names: [people_in_need, partner_count]
#}
{% test not_negative_columns(model, column_names) %}
select
    -- concat_ws skips nulls: the names of the negative columns, comma-separated
    concat_ws(', '
        {%- for c in column_names %}, case when {{ adapter.quote(c) }} < 0 then '{{ c }}' end{% endfor %}
    ) as negative_columns,
    *
from {{ model }}
where {% for c in column_names %}{{ adapter.quote(c) }} < 0{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
