{#
  The one place source numbers are parsed. Handles thousands separators ("80 418", "448,465",
  narrow/no-break spaces), '-' and empty strings as null, and floats that must be rounded
  (JIAF PiN values like 737051.4398963449). Returns BIGINT, or null when not a number.
#}
{% macro parse_count(expr) -%}
    cast(round(try_cast(nullif(regexp_replace(trim(cast({{ expr }} as varchar)), '[\s,\x{00a0}\x{202f}]', '', 'g'), '-') as double)) as bigint)
{%- endmacro %}

{% macro parse_amount(expr) -%}
    try_cast(nullif(regexp_replace(trim(cast({{ expr }} as varchar)), '[\s,\x{00a0}\x{202f}]', '', 'g'), '-') as double)
{%- endmacro %}
