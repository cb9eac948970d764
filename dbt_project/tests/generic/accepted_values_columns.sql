{#
  Fails with each value outside its column's accepted list: one row per column and value, with how many rows
  hold it. Nulls pass, as in dbt's accepted_values. One query per model instead of one per column; numbers are
  compared as numbers, text as text. pipelines/cli/docs_gen.py reads the lists for the data dictionary.
  Usage (model level):
    data_tests:
      - accepted_values_columns:
          name: accepted_values_coverage
          arguments:
            values:
              admin_level: [1, 2]
              need_measure: [in_need, affected, targeted]
#}
{% test accepted_values_columns(model, values) %}
{%- for column, accepted in values.items() %}
select '{{ column | replace("'", "''") }}' as column_name, cast({{ column }} as varchar) as value, count(*) as n_records
from {{ model }}
where {{ column }} is not null
  and {{ column }} not in (
    {%- for v in accepted -%}
      {%- if v is string -%}'{{ v | replace("'", "''") }}'{%- else -%}{{ v }}{%- endif -%}
      {%- if not loop.last %}, {% endif -%}
    {%- endfor -%})
group by all
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{% endtest %}
