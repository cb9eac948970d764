{#
  The one place source numbers are parsed. `fmt` is the resource's number_format from the config (raw
  column _number_format, null = en):
    en     1,234,567.5   thousands ',' decimal '.'
    fr     1.234.567,5   thousands '.' decimal ','
    plain  1234567.5     machine-written: no thousands separator (JIAF floats like 737051.4398963449)
  Spaces (also narrow/no-break) group thousands in every format. '-' and empty strings are null, not a problem.
  count_problem names why a given value is not a count: negative, not_finite (NaN, inf), ambiguous_separator
  ("1.234" in en, "1,234" in fr: one group of exactly three digits after the only separator could be either a
  decimal or a thousands mark, so it is never guessed) or non_numeric. parse_count is null whenever there is a
  problem, and rounds decimals to whole people; it never raises, whatever the text.
#}
{% macro _number_text(expr) -%}
    nullif(nullif(regexp_replace(trim(cast({{ expr }} as varchar)), '[\s\x{00a0}\x{202f}]', '', 'g'), ''), '-')
{%- endmacro %}

{% macro count_problem(expr, fmt='_number_format') -%}
    (case
        when {{ _number_text(expr) }} is null then null
        when regexp_full_match({{ _number_text(expr) }}, '[+-]?(nan|inf|infinity)', 'i') then 'not_finite'
        when regexp_full_match({{ _number_text(expr) }}, '-[0-9.,]+') then 'negative'
        when coalesce({{ fmt }}, 'en') = 'plain'
            then case when regexp_full_match({{ _number_text(expr) }}, '[0-9]+(\.[0-9]+)?') then null else 'non_numeric' end
        when coalesce({{ fmt }}, 'en') = 'fr'
            then case
                when regexp_full_match({{ _number_text(expr) }}, '[0-9]{1,3},[0-9]{3}') then 'ambiguous_separator'
                when regexp_full_match({{ _number_text(expr) }}, '[0-9]{1,3}(\.[0-9]{3})+(,[0-9]+)?|[0-9]+(,[0-9]+)?') then null
                else 'non_numeric' end
        else case
                when regexp_full_match({{ _number_text(expr) }}, '[0-9]{1,3}\.[0-9]{3}') then 'ambiguous_separator'
                when regexp_full_match({{ _number_text(expr) }}, '[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?|[0-9]+(\.[0-9]+)?') then null
                else 'non_numeric' end
    end)
{%- endmacro %}

{% macro parse_count(expr, fmt='_number_format') -%}
    (case when {{ count_problem(expr, fmt) }} is null then cast(round(try_cast(
        case when coalesce({{ fmt }}, 'en') = 'fr'
             then replace(replace({{ _number_text(expr) }}, '.', ''), ',', '.')
             else replace({{ _number_text(expr) }}, ',', '') end
    as double)) as bigint) end)
{%- endmacro %}

{% macro parse_amount(expr) -%}
    try_cast(nullif(regexp_replace(trim(cast({{ expr }} as varchar)), '[\s,\x{00a0}\x{202f}]', '', 'g'), '-') as double)
{%- endmacro %}
