{# Macros of the int_quality_issues__* models (the quality_issues mart's columns). #}
{#
  The quality_issues columns issue_code, issue and severity for one admin level of a row whose lookup
  reported an issue (admin1_issue / admin2_issue), written once for every source:
    unmatched -> pcode_unmatched, error, the issue text + '; <consequence>';
    exact     -> pcode_doubt (the code is right but something disagrees), warning;
    otherwise -> pcode_fixed (case/space, length converted, name matched, from the parent), warning.
  `unmatched` is the SQL condition for "not resolved" (default: the method is 'unmatched').
#}
{% macro admin_issue_columns(method, issue, unmatched=none, consequence='row excluded') -%}
    {%- set unmatched = unmatched or (method ~ " = 'unmatched'") -%}
    case when {{ unmatched }} then 'pcode_unmatched' when {{ method }} = 'exact' then 'pcode_doubt' else 'pcode_fixed' end as issue_code,
        {{ issue }} || case when {{ unmatched }} then '; {{ consequence }}' else '' end as issue,
        case when {{ unmatched }} then 'error' else 'warning' end as severity
{%- endmacro %}

{# The quality_issues columns of a model whose rows carry source_key, dataset_id, source_file and row_number. #}
{% macro issue_row_columns(source) -%}
    {{ source }} as source,
    source_key,
    dataset_id,
    source_file as file,
    row_number as "row",
    country_code,
    sector_code,
    field,
    value,
    issue_code,
    issue,
    severity
{%- endmacro %}

{#
  The issue_code and issue columns of a count that could not be read (parse_count null, count_problem says why):
  negative, not_finite (NaN, inf), ambiguous_separator ("1.234" in en) or non_numeric, each with its own words.
  `label` names the figure (People in need), `consequence` what was done (figure excluded).
#}
{% macro count_issue_columns(label, raw, fmt, consequence) -%}
    coalesce({{ count_problem(raw, fmt) }}, 'non_numeric') as issue_code,
        '{{ label }} ' || case coalesce({{ count_problem(raw, fmt) }}, 'non_numeric')
            when 'negative' then 'is negative (a count of people never is)'
            when 'not_finite' then 'is NaN or infinite'
            when 'ambiguous_separator' then 'could be read two ways (thousands or decimals? number_format '
                || coalesce({{ fmt }}, 'en') || ')'
            else 'is not a number'
        end || '; {{ consequence }}' as issue
{%- endmacro %}
