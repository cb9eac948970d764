{# Normalised text for alias lookups (sectors, org types, org names): accents, case and spacing folded. #}
{% macro normalise_key(expr) -%}
    nullif(lower(trim(regexp_replace(strip_accents(replace(cast({{ expr }} as varchar), chr(8217), '''')), '\s+', ' ', 'g'))), '')
{%- endmacro %}
