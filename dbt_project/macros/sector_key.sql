{#
  THE sector label -> alias key rule (pipelines/lib/sector_key.py is the same rule in Python; a test runs both):
  accents removed, lower case; '&' -> ' and '; anything but a-z 0-9 / + -> space; the words and/et/y/e -> 'and'
  (spaces doubled first so neighbouring words do not share one); no space around '/'; spaces collapsed; '' -> null.
#}
{% macro sector_key(expr) -%}
    nullif(trim(regexp_replace(regexp_replace(regexp_replace(
        ' ' || replace(regexp_replace(
            replace(lower(strip_accents(replace(cast({{ expr }} as varchar), chr(8217), ''''))), '&', ' and '),
            '[^a-z0-9/+]+', ' ', 'g'), ' ', '  ') || ' ',
        ' (and|et|y|e) ', ' and ', 'g'),
        ' *(/) *', '\1', 'g'),
        ' +', ' ', 'g')), '')
{%- endmacro %}
