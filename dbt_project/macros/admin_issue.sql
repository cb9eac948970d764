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
