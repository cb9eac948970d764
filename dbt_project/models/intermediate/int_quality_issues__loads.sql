-- Source files that failed to load, in the columns of the quality_issues mart: one error per resource ×
-- partition. issue_code source_failed: the file could not be used; its partition (the whole country's files of
-- that kind) kept the rows of the last good load, which the marts use (or none, if it never loaded).
select
    table_name as source,
    source_key,
    dataset_id,
    source_file as file,
    cast(null as bigint) as "row",
    case when load_partition <> 'all' then load_partition end as country_code,
    cast(null as varchar) as sector_code,
    'file' as field,
    source_file as value,
    'source_failed' as issue_code,
    reason || case
        when last_good_loaded_at is null then '; never loaded: the marts have no rows from it'
        else '; the marts use the rows loaded ' || strftime(last_good_loaded_at, '%Y-%m-%d %H:%M') || ' UTC'
    end as issue,
    'error' as severity
from {{ ref('stg_clusterwatch__load_failures') }}
