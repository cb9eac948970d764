-- The published problems: the rows of int_quality_issues that repeat one problem of one file (same field,
-- value, issue and fix: 3,492 real `pcode_fixed` rows are 247 distinct fixes) are one row with their count
-- and first row. Every source row with a problem stays listed in int_quality_issues (the warehouse).
select
    -- JSON keeps a null apart from the text 'null' (concat_ws would drop nulls and merge keys)
    md5(to_json([source, source_key, dataset_id, file, country_code, sector_code, field, value, issue_code, issue, severity]))
        as issue_id,
    source,
    source_key,
    dataset_id,
    file,
    min("row") as "row",
    cast(count(*) as bigint) as row_count,
    country_code,
    sector_code,
    field,
    value,
    issue_code,
    issue,
    severity
from {{ ref('int_quality_issues') }}
group by source, source_key, dataset_id, file, country_code, sector_code, field, value, issue_code, issue, severity
