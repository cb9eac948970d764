{#
  Every column rule of a model in one test: one query, one dbt node and one Dagster check per model, instead of
  one per rule or per column (each dbt node costs dbt's own work beyond its SQL). pipelines/cli/docs_gen.py
  reads the rules for the data dictionary. A rule that needs its own `where` or `severity` stays a test of its
  own, on its column. Fails with one row per rule, column and offending value, and how many rows hold it:
    not_null          columns that must hold a value (value: null)
    accepted_values   column -> its accepted values; numbers compared as numbers, text as text
    unique            columns or expressions whose values occur once
    not_negative      numeric columns never below zero (value: the lowest value)
    country_in_scope  country-code columns within var('countries'), the configured countries
  Nulls pass every rule but not_null, as in dbt's own tests. Usage (model level):
    data_tests:
      - column_rules:
          name: column_rules_coverage
          arguments:
            not_null: [country_code, sector_code]
            accepted_values:
              admin_level: [1, 2]
            unique: [sector_code]
            not_negative: [people_in_need]
            country_in_scope: [country_code]
#}
{% test column_rules(model, not_null=[], accepted_values={}, unique=[], not_negative=[], country_in_scope=[]) %}
{%- set ns = namespace(parts=0, counts=0) %}
{%- if not_null or not_negative %}
{%- set ns.parts = 1 %}
-- Counted in one pass over the model (a staging view is evaluated once, not once per column)
select r.rule, r.column_name, r.value, r.n_records
from (
    select unnest([
        {%- for c in not_null %}
        {{ ',' if ns.counts }}{% set ns.counts = ns.counts + 1 %}{'rule': 'not_null', 'column_name': '{{ c | replace("'", "''") }}',
         'value': cast(null as varchar), 'n_records': count(*) filter (where {{ adapter.quote(c) }} is null)}
        {%- endfor %}
        {%- for c in not_negative %}
        {{ ',' if ns.counts }}{% set ns.counts = ns.counts + 1 %}{'rule': 'not_negative', 'column_name': '{{ c | replace("'", "''") }}',
         'value': cast(min({{ adapter.quote(c) }}) as varchar), 'n_records': count(*) filter (where {{ adapter.quote(c) }} < 0)}
        {%- endfor %}
    ]) as r
    from {{ model }}
)
where r.n_records > 0
{%- endif %}
{%- for column, accepted in accepted_values.items() %}
{{ 'union all' if ns.parts }}{% set ns.parts = ns.parts + 1 %}
select 'accepted_values' as rule, '{{ column | replace("'", "''") }}' as column_name,
       cast({{ column }} as varchar) as value, count(*) as n_records
from {{ model }}
where {{ column }} is not null
  and {{ column }} not in (
    {%- for v in accepted -%}
      {%- if v is string -%}'{{ v | replace("'", "''") }}'{%- else -%}{{ v }}{%- endif -%}
      {%- if not loop.last %}, {% endif -%}
    {%- endfor -%})
group by all
{%- endfor %}
{%- for c in unique %}
{{ 'union all' if ns.parts }}{% set ns.parts = ns.parts + 1 %}
select 'unique' as rule, '{{ c | replace("'", "''") }}' as column_name, cast({{ c }} as varchar) as value,
       count(*) as n_records
from {{ model }}
where {{ c }} is not null
group by all
having count(*) > 1
{%- endfor %}
{%- for c in country_in_scope %}
{{ 'union all' if ns.parts }}{% set ns.parts = ns.parts + 1 %}
select 'country_in_scope' as rule, '{{ c | replace("'", "''") }}' as column_name,
       cast({{ adapter.quote(c) }} as varchar) as value, count(*) as n_records
from {{ model }}
where {{ adapter.quote(c) }} is not null
  and not ({{ in_configured_countries(adapter.quote(c)) }})
group by all
{%- endfor %}
{%- if not ns.parts %}
select cast(null as varchar) as rule, cast(null as varchar) as column_name, cast(null as varchar) as value,
       cast(0 as bigint) as n_records
where false
{%- endif %}
{% endtest %}
