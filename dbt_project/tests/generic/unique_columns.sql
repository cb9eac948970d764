{#
  Fails with each value that occurs more than once in its column: one row per column and value, with how
  many rows hold it. Nulls pass, as in dbt's unique. Each entry is a column or an expression. One query per
  model instead of one per column. Usage (model level):
    data_tests:
      - unique_columns:
          name: unique_sectors
          arguments:
            column_names: [sector_code, hxl_sector_tag]
#}
{% test unique_columns(model, column_names) %}
{%- for c in column_names %}
select '{{ c | replace("'", "''") }}' as column_name, cast({{ c }} as varchar) as value, count(*) as n_records
from {{ model }}
where {{ c }} is not null
group by all
having count(*) > 1
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{% endtest %}
