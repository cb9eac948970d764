{#
  The rows of two totals (CTEs `a` and `b`, each with the `keys` columns, requirements_usd and funding_usd)
  whose amounts differ by `differ` (e.g. '>= 0.5': to the dollar), or that only one side has. Shared by the
  singular tests that reconcile the FTS marts. null_safe: the keys that match when both are null.
#}
{% macro totals_mismatches(a, b, keys, differ, null_safe=[]) -%}
select
    {%- for k in keys %}
    coalesce({{ a }}.{{ k }}, {{ b }}.{{ k }}) as {{ k }},
    {%- endfor %}
    {{ a }}.requirements_usd as {{ a }}_requirements_usd,
    {{ b }}.requirements_usd as {{ b }}_requirements_usd,
    {{ a }}.funding_usd as {{ a }}_funding_usd,
    {{ b }}.funding_usd as {{ b }}_funding_usd
from {{ a }}
full outer join {{ b }}
    on {% for k in keys -%}
    {{ a }}.{{ k }} {{ 'is not distinct from' if k in null_safe else '=' }} {{ b }}.{{ k }}
    {%- if not loop.last %} and {% endif %}
    {%- endfor %}
where {{ a }}.country_code is null
    or {{ b }}.country_code is null
    or abs(coalesce({{ a }}.requirements_usd, 0) - coalesce({{ b }}.requirements_usd, 0)) {{ differ }}
    or abs(coalesce({{ a }}.funding_usd, 0) - coalesce({{ b }}.funding_usd, 0)) {{ differ }}
{%- endmacro %}
