-- Row-level problems of the needs sources (HNO, JIAF, drought), one row per source row × field.
--   admin p-codes   (rows that carry figures) unmatched -> error, row excluded; corrected -> warning.
--   sector          cluster / column not in the sector_aliases seed -> error, figure excluded.
--   figures         people in need not a count -> error, figure excluded; targeted / reached not a count
--                   -> warning. The code says why (count_problem): negative, not_finite (NaN, inf),
--                   ambiguous_separator ("1.234" in en) or non_numeric.
--   superseded      an HNO total row superseded by a larger total of the same unit and sector (AFG `General
--                   Protection` under Protection (overall)) -> warning, row excluded.
--   duplicates      a row repeating an earlier identical row at its source's grain (HNO unit x cluster x description
--                   x category, JIAF unit x population group, drought woreda, per cluster) -> warning, the copy
--                   dropped; the same key with different figures -> error, none used (and the singular test
--                   assert_needs_no_duplicate_rows fails).
--   no_figures      a row with no figure at all (every JIAF ETH row) -> warning, row gives nothing.
--   reference period  a needs resource with no known reference period -> warning.
-- HNO Category breakdown rows are not read (by rule, not a problem) and are not listed.
with components as (
    select *, 'hno_hpc' as source_table from {{ ref('int_needs__hno') }}
    union all by name
    select *, 'jiaf_pin' as source_table from {{ ref('int_needs__jiaf') }}
    union all by name
    select *, 'drought_needs' as source_table from {{ ref('int_needs__drought') }}
),

lookup as (
    select source_table, lookup_key, admin1_code, admin1_name, admin2_code, admin2_name
    from {{ ref('int_admin_lookup') }}
),

source_rows as (
    -- one row per raw row that carries at least one figure
    select
        source_table, source_key, dataset_id, source_file, row_number, country_code, admin_lookup_key,
        any_value(admin1_method) as admin1_method, any_value(admin2_method) as admin2_method,
        any_value(admin1_issue) as admin1_issue, any_value(admin2_issue) as admin2_issue
    from components
    where exclusion_reason is distinct from 'no_figures'
    group by all
),

admin_issues as (
    select
        r.source_table, r.source_key, r.dataset_id, r.source_file, r.row_number, r.country_code,
        cast(null as varchar) as sector_code,
        case when l.admin1_code is not null then 'admin1_code' else 'admin1_name' end as field,
        coalesce(l.admin1_code, l.admin1_name) as value,
        {{ admin_issue_columns('r.admin1_method', 'r.admin1_issue') }}
    from source_rows as r
    left join lookup as l
        on l.source_table = r.source_table and l.lookup_key = r.admin_lookup_key
    where r.admin1_issue is not null
    union all
    select
        r.source_table, r.source_key, r.dataset_id, r.source_file, r.row_number, r.country_code,
        cast(null as varchar),
        case when l.admin2_code is not null then 'admin2_code' else 'admin2_name' end,
        coalesce(l.admin2_code, l.admin2_name),
        {{ admin_issue_columns('r.admin2_method', 'r.admin2_issue') }}
    from source_rows as r
    left join lookup as l
        on l.source_table = r.source_table and l.lookup_key = r.admin_lookup_key
    where r.admin2_issue is not null
),

figure_issues as (
    select source_table, source_key, dataset_id, source_file, row_number, country_code, sector_code,
           sector_field as field, sector_raw as value, 'unknown_sector' as issue_code,
           case when sector_raw is null then 'No cluster given; figure excluded'
                else 'Unknown sector ''' || sector_raw || ''' (not in the sector_aliases seed); figure excluded'
           end as issue,
           'error' as severity
    from components
    where exclusion_reason = 'unknown_sector'
    union all
    select source_table, source_key, dataset_id, source_file, row_number, country_code, sector_code,
           figure_field, figure_raw,
           {{ count_issue_columns('People in need', 'figure_raw', 'number_format', 'figure excluded') }}, 'error'
    from components
    where exclusion_reason = 'non_numeric'
    union all
    select source_table, source_key, dataset_id, source_file, row_number, country_code, sector_code,
           targeted_field, targeted_raw,
           {{ count_issue_columns('People targeted', 'targeted_raw', 'number_format', 'figure ignored') }}, 'warning'
    from components
    where targeted_raw is not null and targeted_raw <> '-' and people_targeted is null
      and exclusion_reason is distinct from 'unknown_sector'
    union all
    select source_table, source_key, dataset_id, source_file, row_number, country_code, sector_code,
           reached_field, reached_raw,
           {{ count_issue_columns('People reached', 'reached_raw', 'number_format', 'figure ignored') }}, 'warning'
    from components
    where reached_raw is not null and reached_raw <> '-' and people_reached is null
      and exclusion_reason is distinct from 'unknown_sector'
    union all
    select source_table, source_key, dataset_id, source_file, row_number, country_code, sector_code,
           sector_field, sector_raw, 'superseded',
           'Another total for the same unit and sector ' || sector_code
             || ' has a larger people in need; this row is excluded (figures are never summed)', 'warning'
    from components
    where exclusion_reason = 'superseded' and need_source = 'hno'
    union all
    select source_table, source_key, dataset_id, source_file, row_number, country_code, sector_code,
           figure_field, figure_raw, exclusion_reason,
           case exclusion_reason
               when 'duplicate_row' then 'Repeats an earlier identical row of the same admin unit and cluster; this copy is dropped (never summed)'
               else 'The same admin unit and cluster appear on several rows with different figures; none is used, and the needs checks fail'
           end,
           case exclusion_reason when 'duplicate_row' then 'warning' else 'error' end
    from components
    where exclusion_reason in ('duplicate_row', 'duplicate_conflict')
    union all
    select source_table, source_key, dataset_id, source_file, row_number, country_code, sector_code,
           coalesce(figure_field, case need_source when 'jiaf' then 'final_pin' else 'in_need' end), figure_raw,
           'no_figures',
           'No people-in-need, targeted or reached figure; row gives no need figures', 'warning'
    from components
    where exclusion_reason = 'no_figures'
)

select {{ issue_row_columns('source_table') }}
from (
    select * from admin_issues
    union all
    select * from figure_issues
)
