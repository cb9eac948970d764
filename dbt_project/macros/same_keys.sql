{# A join condition: `a` and `b` agree on every column of `keys` (a.k = b.k and ...). #}
{% macro same_keys(a, b, keys) -%}
    {%- for k in keys %}{{ a }}.{{ k }} = {{ b }}.{{ k }}{{ ' and ' if not loop.last }}{% endfor %}
{%- endmacro %}
