-- Every row-level problem found on the way to the marts, one row per source row × field (or per country ×
-- sector for problems of the comparison itself). Rows that cannot be used are excluded from the marts, and
-- are listed here with the reason. The published quality_issues mart counts the rows that share one problem
-- (same file, field, value and fix); this model keeps each row, for sending a file's rows back to its cluster.
-- To add issues from another part of the pipeline (FTS, population...), write a model with the same columns
-- (source, source_key, dataset_id, file, row, country_code, sector_code, field, value, issue_code, issue,
-- severity) and add its name to `issue_models` below.
{%- set issue_models = [
    'int_quality_issues__presence',
    'int_quality_issues__needs',
    'int_quality_issues__coverage',
    'int_quality_issues__fts',
    'int_quality_issues__loads',
    'int_quality_issues__personal_data',
] %}
with issues as (
    {%- for m in issue_models %}
    select source, source_key, dataset_id, file, "row", country_code, sector_code, field, value, issue_code,
           issue, severity
    from {{ ref(m) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    md5(concat_ws('|', source, source_key, file, cast("row" as varchar), field,
                  case when "row" is null then country_code end,
                  case when "row" is null then sector_code end,
                  -- removed personal data can share its row and field with another issue (an org_name that was
                  -- only an e-mail is also no_organisation); null for every other code, whose ids stay as they were
                  case when issue_code = 'personal_data_removed' then issue_code end)) as issue_id,
    source,
    source_key,
    dataset_id,
    file,
    "row",
    country_code,
    sector_code,
    field,
    value,
    issue_code,
    issue,
    severity
from issues
