{#
  THE personal-data rule: e-mail addresses and phone numbers are removed from source text before anything is
  published (pipelines/lib/personal_data.py is the same rule in Python, with the reasons behind each pattern;
  tests/test_personal_data.py runs both on the same strings). Staging reads every raw table through
  scrubbed_source, so each raw text cell passes it once; stg_raw__personal_data lists what was removed.
#}
{% macro _pd_email() %}'[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}'{% endmacro %}
{% macro _pd_phone() %}'(^|[^0-9A-Za-z_.,-])(\+[0-9](?:[ .-]?\(?[0-9]\)?){7,14}|00[1-9][0-9](?:[ .-]?\(?[0-9]\)?){7,11}|\(?0[1-9][0-9]?\)?(?:[ .-]?[0-9]){7,9})([^0-9A-Za-z_]|$)'{% endmacro %}
{# Cheap test first (Python's HINT): an '@', or where a phone number could start. #}
{% macro _pd_hint() %}'@|(^|[^0-9A-Za-z_.,-])(\+[0-9]|\(?0[0-9])'{% endmacro %}

{# The text with e-mails removed, then phone numbers (twice: one number's closing character may open the next). #}
{% macro _pd_removed(expr) -%}
    regexp_replace(regexp_replace(regexp_replace({{ expr }}, {{ _pd_email() }}, '', 'g'),
        {{ _pd_phone() }}, '\1\3', 'g'), {{ _pd_phone() }}, '\1\3', 'g')
{%- endmacro %}

{#
  The text without e-mail addresses and phone numbers; unchanged (not even trimmed) when it holds none. After a
  removal: empty brackets, runs of spaces, a dangling "Tel:"-style label and separators at either end are
  tidied, and nothing left -> null.
#}
{% macro scrub_personal_data(expr) -%}
    (case
        {#- no character the hint needs: most cells, decided without a regular expression #}
        when not (contains({{ expr }}, '@') or contains({{ expr }}, '+') or contains({{ expr }}, '0')) then {{ expr }}
        when not regexp_matches({{ expr }}, {{ _pd_hint() }}) then {{ expr }}
        when {{ _pd_removed(expr) }} = {{ expr }} then {{ expr }}
        else nullif(regexp_replace(regexp_replace(regexp_replace(regexp_replace({{ _pd_removed(expr) }},
                 '\([ ]*\)|\[[ ]*\]', '', 'g'),
                 '[ \t\r\n]+', ' ', 'g'),
                 '(^|[^A-Za-z])([Ee]-?[Mm]ail|[Tt]el|[Pp]hone|[Mm]obile|[Mm]ob|[Cc]ontact|[Ww]hats[Aa]pp)[ .:;,/|(-]*$', '\1'),
                 '^[ ,;:/|)-]+|[ ,;:/|(-]+$', '', 'g'), '')
    end)
{%- endmacro %}

{# 'email', 'phone', 'email and phone', or null when the text holds neither. #}
{% macro personal_data_kind(expr) -%}
    (case
        when regexp_matches({{ expr }}, {{ _pd_email() }})
         and regexp_matches(regexp_replace({{ expr }}, {{ _pd_email() }}, '', 'g'), {{ _pd_phone() }}) then 'email and phone'
        when regexp_matches({{ expr }}, {{ _pd_email() }}) then 'email'
        when regexp_matches({{ expr }}, {{ _pd_phone() }}) then 'phone'
    end)
{%- endmacro %}

{#
  The columns of a raw table that hold source text: its text columns, not the lineage columns (they start with
  '_') nor row_hash (the loader's hex digest of the row: 16% of x5000's rows looked like a phone number to the
  cheap pre-check, and paid for the full scan). Listed from the warehouse when dbt runs; at parse time, none.
#}
{% macro source_text_columns(relation) -%}
    {%- set text = [] -%}
    {%- for c in (adapter.get_columns_in_relation(relation) if execute else [])
           if c.dtype | upper in ('VARCHAR', 'TEXT') and not c.name.startswith('_') and c.name != 'row_hash' -%}
        {%- do text.append(c.name) -%}
    {%- endfor -%}
    {{ return(text) }}
{%- endmacro %}

{#
  A raw table as staging reads it: every source text column (source_text_columns) through scrub_personal_data;
  at parse time the table itself.
#}
{% macro scrubbed_source(table) -%}
    {%- set relation = source('raw', table) -%}
    {%- set text = source_text_columns(relation) -%}
    {%- if text -%}
    (select * replace (
        {%- for c in text %}
        {{ scrub_personal_data(adapter.quote(c)) }} as {{ adapter.quote(c) }}{{ ',' if not loop.last }}
        {%- endfor %}
    ) from {{ relation }})
    {%- else -%}
    {{ relation }}
    {%- endif -%}
{%- endmacro %}
