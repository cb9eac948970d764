{#
  Fails with every row where any of `column_names` is null, naming them in `null_columns`. One query per model
  instead of one per column: each model's YAML lists its required columns here (model level), and
  pipelines/cli/docs_gen.py reads them as the columns marked required. Usage (model level):
    data_tests:
      - not_null_columns:
          name: not_null_coverage
          arguments:
            column_names: [country_code, sector_code]
#}
{% test not_null_columns(model, column_names) %}
select
    -- concat_ws skips nulls: the names of the null columns, comma-separated
    concat_ws(', '
        {%- for c in column_names %}, case when {{ adapter.quote(c) }} is null then '{{ c }}' end{% endfor %}
    ) as null_columns,
    *
from {{ model }}
where {% for c in column_names %}{{ adapter.quote(c) }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
