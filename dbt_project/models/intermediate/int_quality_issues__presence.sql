-- Row-level problems of the 3W/4W presence rows, one row per source row × field (the quality_issues columns).
--   admin p-codes   unmatched -> error (row unusable at that level); corrected (case/space, length converted,
--                   name matched, taken from the admin2 parent, derived from the admin3 p-code; a region's
--                   own name in the admin2 column, used at admin1 only) -> warning;
--                   a code whose given name is another unit's name -> warning.
--   sector          not in the sector_aliases seed -> error (row excluded from coverage).
--   org_name        no organisation name or acronym -> error (row excluded).
--   org_type        not in the org_types seed -> warning (the row is still used).
--   people figures  people_targeted / people_reached given but not a count -> warning, the code saying why
--                   (negative, not_finite, ambiguous_separator, non_numeric).
--   duplicates      exact duplicate rows of a file -> one warning row per file (count, examples); the copies
--                   are excluded from coverage (int_presence `duplicate_row`), the first of each is kept.
--   empty file      a 3W/4W file that loaded no data rows (stg_clusterwatch__loads) -> one warning per file and country.
--   admin2          in a country covered at admin2, a usable row of the chosen presence resources with no
--                   admin2 unit and no admin2 issue above (nothing given) -> error (excluded from coverage).
-- not materialized: DuckDB would otherwise copy every int_presence column into a temporary result, as the
-- CTE is read by several branches (x5000: 43 s against 6 s).
with presence as not materialized (
    select * from {{ ref('int_presence') }}
),

choice as (
    select * from {{ ref('int_coverage__sources') }}
),

admin_issues as (
    select
        source_key, dataset_id, source_file, row_number, country_code,
        case when admin1_code is not null then 'admin1_code' else 'admin1_name' end as field,
        coalesce(admin1_code, admin1_name) as value,
        {{ admin_issue_columns('admin1_method', 'admin1_issue') }},
        cast(null as varchar) as sector_code
    from presence
    where admin1_issue is not null
    union all
    select
        source_key, dataset_id, source_file, row_number, country_code,
        case
            when admin3_code is not null and admin2_method <> 'from_admin3' then 'admin3_code'
            when admin2_code is not null then 'admin2_code'
            else 'admin2_name'
        end,
        case
            when admin3_code is not null and admin2_method <> 'from_admin3' then admin3_code
            else coalesce(admin2_code, admin2_name)
        end,
        {{ admin_issue_columns('admin2_method', 'admin2_issue', unmatched="admin2_pcode is null and admin2_method <> 'region_name'", consequence='row unusable at admin2') }},
        cast(null as varchar)
    from presence
    where admin2_issue is not null
),

no_admin2 as (
    select
        p.source_key, p.dataset_id, p.source_file, p.row_number, p.country_code,
        case when p.admin2_code is not null then 'admin2_code' else 'admin2_name' end as field,
        coalesce(p.admin2_code, p.admin2_name) as value,
        'excluded_no_admin2' as issue_code,
        'No admin2 unit for this row while ' || p.country_code || ' coverage is at admin2; row excluded from coverage' as issue,
        'error' as severity,
        p.sector_code
    from presence as p
    join choice as c
        on c.country_code = p.country_code
       and c.admin_level = 2
       and list_contains(string_split(c.presence_source_keys, ', '), p.source_key)
    where p.is_usable
      and p.admin2_pcode is null
      and p.admin2_issue is null
),

row_issues as (
    select source_key, dataset_id, source_file, row_number, country_code,
           'sector' as field, sector_raw as value, 'unknown_sector' as issue_code,
           case when sector_raw is null then 'No sector given; row excluded from coverage'
                else 'Unknown sector ''' || sector_raw || ''' (not in the sector_aliases seed); row excluded from coverage'
           end as issue,
           'error' as severity, cast(null as varchar) as sector_code
    from presence
    where sector_code is null and admin1_pcode is not null
    union all
    select source_key, dataset_id, source_file, row_number, country_code,
           case when org_name_raw is null and org_acronym_raw is not null then 'org_acronym' else 'org_name' end,
           coalesce(org_name_raw, org_acronym_raw), 'no_organisation',
           case when org_name_raw is null and org_acronym_raw is null
                then 'No organisation name or acronym; row excluded from coverage'
                else 'Placeholder instead of an organisation (' || coalesce(org_name_raw, org_acronym_raw)
                     || '); row excluded from coverage'
           end, 'error', sector_code
    from presence
    where exclusion_reason = 'no_organisation'
    union all
    select source_key, dataset_id, source_file, row_number, country_code,
           'org_type', org_type_raw, 'unknown_org_type',
           'Unknown organisation type ''' || org_type_raw || ''' (not in the org_types seed)', 'warning', sector_code
    from presence
    where org_type_raw is not null and not org_type_matched
    union all
    select source_key, dataset_id, source_file, row_number, country_code,
           'people_targeted', people_targeted_raw,
           {{ count_issue_columns('People targeted', 'people_targeted_raw', 'number_format', 'figure ignored') }},
           'warning', sector_code
    from presence
    where people_targeted_raw is not null and people_targeted_raw <> '-' and people_targeted is null
    union all
    select source_key, dataset_id, source_file, row_number, country_code,
           'people_reached', people_reached_raw,
           {{ count_issue_columns('People reached', 'people_reached_raw', 'number_format', 'figure ignored') }},
           'warning', sector_code
    from presence
    where people_reached_raw is not null and people_reached_raw <> '-' and people_reached is null
),

-- Exact duplicates: one row per file with the count and examples (the copies are excluded, the first kept).
duplicates as (
    select source_key, min(dataset_id), min(source_file), min(row_number), min(country_code),
           'row', count(*) || ' duplicate row(s)', 'duplicate_rows',
           count(*) || ' exact duplicate row(s): every cell equal to an earlier row of the file (e.g. '
           || array_to_string(list('row ' || row_number || ' = row ' || duplicate_of_row order by row_number)[1:3], ', ')
           || '); each counted once',
           'warning', cast(null as varchar)
    from presence
    where duplicate_of_row is not null
    group by source_key
),

-- A 3W/4W file that loaded no data rows (header only or empty): one warning naming the file, per country.
empty_files as (
    select source_key, dataset_id, source_file, cast(null as bigint), partition,
           'file', '0 data rows', 'empty_file',
           'The 3W/4W file has no data rows (header only or empty); ' || partition || ' shows no presence from '
           || source_key,
           'warning', cast(null as varchar)
    from {{ ref('stg_clusterwatch__loads') }}
    where table_name = 'presence' and row_count = 0 and {{ in_configured_countries('partition') }}
)

select {{ issue_row_columns("'presence'") }}
from (
    select * from admin_issues
    union all
    select * from no_admin2
    union all
    select * from row_issues
    union all
    select * from duplicates
    union all
    select * from empty_files
)
