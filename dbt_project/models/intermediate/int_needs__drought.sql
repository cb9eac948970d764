-- Drought caseloads by cluster (Horn of Africa 2022), unpivoted: one row per (woreda row, cluster) that has
-- at least one of Affected / Target / Reached. The per-cluster columns vary by file, so the row is turned into
-- JSON and its `<cluster>_affected|_target|_reached` keys are read (works whatever clusters the file has).
-- Rules:
--   * `<cluster>_affected` (tagged #inneed in the file) is the people in need, `_target` people targeted,
--     `_reached` people reached; all parsed by parse_count (`80 418` -> 80418, `-` -> none).
--   * The cluster label (the file's group header: health, nutrition, food, esnfi, education, agriculture,
--     protection, wash) maps to a sector code through the sector_aliases seed; unknown -> `unknown_sector`.
--     `total` (OVERALL FIGURES: Total Affected / Target / Reached) is the reported intersectoral figure ->
--     `Intersectoral`; it is a published total, never a sum of the cluster columns.
--   * Two clusters of the same row that map to the same sector (food and agriculture -> FSC) are never
--     summed: the larger Affected is kept, the other is `superseded`.
--   * One row per woreda and cluster: a repeat identical to an earlier row is `duplicate_row` (dropped), the same
--     woreda and cluster with different figures is `duplicate_conflict` on every copy (none used), before any sum.
--   * Rows are woredas (admin3); the admin2 p-code (zone) comes from int_admin_lookup on the row's
--     admin1/admin2 codes. int_needs sums woredas to their zone (admin2).
with source_rows as (
    select *
    from {{ ref('stg_drought__needs') }}
    where {{ in_configured_countries('country_code') }}
),

cells as (
    select
        r._source_key,
        r._dataset_id,
        r._source_file,
        r._row_number,
        r._number_format,
        r.country_code,
        r.admin1_code,
        r.admin2_code,
        r.admin3_code,
        r.admin_lookup_key,
        regexp_extract(j.key, '^(.+)_(affected|target|reached)$', 1) as cluster,
        regexp_extract(j.key, '^(.+)_(affected|target|reached)$', 2) as measure,
        j.key as field,
        nullif(trim(j.value ->> '$'), '') as raw_value
    from source_rows as r, json_each(to_json(r)) as j
    where regexp_matches(j.key, '^(.+)_(affected|target|reached)$')
),

per_cluster as (
    select
        _source_key, _dataset_id, _source_file, _row_number, _number_format, country_code, admin1_code, admin2_code,
        admin3_code, admin_lookup_key, cluster,
        max(case when measure = 'affected' then field end) as figure_field,
        max(case when measure = 'affected' then raw_value end) as figure_raw,
        max(case when measure = 'target' then field end) as targeted_field,
        max(case when measure = 'target' then raw_value end) as targeted_raw,
        max(case when measure = 'reached' then field end) as reached_field,
        max(case when measure = 'reached' then raw_value end) as reached_raw
    from cells
    group by all
    having count(nullif(raw_value, '-')) > 0  -- '-' means none: a cluster with only '-' gives no row
),

aliases as (
    {{ sector_alias_keys() }}
),

lookup as (
    {{ admin_lookup_for('drought_needs') }}
),

mapped as (
    select
        c.*,
        replace(c.cluster, '_', ' ') as sector_raw,
        case when c.cluster = 'total' then 'Intersectoral' else {{ sector_code_of('a') }} end as sector_code,
        {{ parse_count('c.figure_raw', 'c._number_format') }} as people_in_need,
        {{ parse_count('c.targeted_raw', 'c._number_format') }} as people_targeted,
        {{ parse_count('c.reached_raw', 'c._number_format') }} as people_reached,
        {{ reported_admin_level('c') }} as reported_admin_level,
        {{ admin_lookup_columns('k') }}
    from per_cluster as c
    {{ sector_alias_join('aliases', 'a', "replace(c.cluster, '_', ' ')", 'c.country_code') }}
    left join lookup as k
        on k.lookup_key = c.admin_lookup_key
),

woreda_versions as (
    -- The grain is one woreda and cluster per file: a repeated woreda row would be summed into its zone.
    select _source_key, country_code, admin3_code, cluster,
           count(distinct concat_ws('|', figure_raw, targeted_raw, reached_raw)) as n_versions
    from per_cluster
    where admin3_code is not null
    group by all
),

problems as (
    select
        m.*,
        case
            when v.n_versions > 1 then 'duplicate_conflict'
            when row_number() over (partition by m._source_key, m.country_code, m.admin3_code, m.cluster
                                    order by m._row_number) > 1 and m.admin3_code is not null then 'duplicate_row'
            when {{ need_admin_unmatched() }} then 'admin_unmatched'
            when sector_code is null then 'unknown_sector'
            when people_in_need is null and figure_raw is not null and figure_raw <> '-' then 'non_numeric'
            when people_in_need is null and people_targeted is null and people_reached is null then 'no_figures'
        end as first_problem
    from mapped as m
    left join woreda_versions as v
        on v._source_key = m._source_key and v.country_code = m.country_code and v.admin3_code = m.admin3_code
       and v.cluster = m.cluster
),

{{ ranked_problems('people_in_need desc nulls last, cluster') }}

select
    'drought' as need_source,
    {{ need_row_admin_columns() }},
    cluster as sector_field,
    sector_raw,
    sector_code,
    figure_field,
    figure_raw,
    people_in_need,
    targeted_field,
    targeted_raw,
    people_targeted,
    reached_field,
    reached_raw,
    people_reached,
    _number_format as number_format,
    {{ need_exclusion_columns() }}
from ranked
