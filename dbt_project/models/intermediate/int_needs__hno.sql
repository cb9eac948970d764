-- HNO (Global HPC HNO) people in need, TOTAL rows only, one row per used or rejected total row.
-- Rules:
--   * Totals only: a row is a total when Category is blank (national rows) or `total` (subnational rows).
--     Every other Category (Children, IDP - Total, Total - Border / EC, ...) is a breakdown of a total and is
--     never added on top of it; those rows are not read at all.
--   * Cluster `ALL` is the intersectoral figure -> sector `Intersectoral`. Sector PINs are never summed into
--     an intersectoral figure.
--   * Other clusters map to sector codes through the sector_aliases seed on normalise_key(Cluster), or on
--     normalise_key(Description) when Cluster is blank. Unknown -> excluded (`unknown_sector`), reported.
--   * Admin unit from int_admin_lookup; reported level = 2 when an admin2 code/name is given, 1 when
--     only admin1, 0 (national) otherwise. A level whose p-code did not resolve -> excluded (`admin_unmatched`).
--   * In Need not a number -> excluded (`non_numeric`); no In Need, Targeted or Reached -> `no_figures`.
--   * One total row per unit, cluster, description and category (the file's grain), before any sum: a repeat
--     identical to an earlier row is `duplicate_row` (dropped; var needs_duplicates `block` fails the needs
--     checks), the same key with different figures is `duplicate_conflict` on every copy (none used, blocking).
--   * Two usable totals for the same unit and sector (AFG has `Protection (overall)` and `General Protection`,
--     both Cluster PRO) -> the larger In Need is kept (the overall figure), the other is `superseded`.
with source_rows as (
    select *
    from {{ ref('stg_hno__needs') }}
    where (category is null or lower(category) = 'total')
      and {{ in_configured_countries('country_code') }}
),

aliases as (
    {{ sector_alias_keys() }}
),

lookup as (
    {{ admin_lookup_for('hno_hpc') }}
),

mapped as (
    select
        r.*,
        case when r.cluster is not null then 'cluster' else 'description' end as sector_field,
        coalesce(r.cluster, r.description) as sector_raw,
        case
            when upper(r.cluster) = 'ALL' then 'Intersectoral'
            else {{ sector_code_of('a') }}
        end as sector_code,
        {{ reported_admin_level('r', levels=[2, 1], names=true) }} as reported_admin_level,
        {{ admin_lookup_columns('l') }}
    from source_rows as r
    {{ sector_alias_join('aliases', 'a', 'coalesce(r.cluster, r.description)', 'r.country_code') }}
    left join lookup as l
        on l.lookup_key = r.admin_lookup_key
),

grain as (
    -- The file's grain for total rows: a repeated key would count the same people twice downstream.
    select
        *,
        count(distinct [in_need_raw, targeted_raw, reached_raw]) over key as n_versions,
        row_number() over (key order by _row_number) as copy_number
    from mapped
    window key as (partition by _source_key, country_code, admin1_code, admin1_name, admin2_code, admin2_name,
                                cluster, description, category)
),

checked as (
    select
        *,
        case
            when n_versions > 1 then 'duplicate_conflict'
            when copy_number > 1 then 'duplicate_row'
            when {{ need_admin_unmatched() }} then 'admin_unmatched'
            when sector_code is null then 'unknown_sector'
            when in_need_raw is not null and in_need_raw <> '-' and people_in_need is null then 'non_numeric'
            when people_in_need is null and people_targeted is null and people_reached is null then 'no_figures'
        end as first_problem
    from grain
),

ranked as (
    select
        *,
        case when first_problem is null then row_number() over (
            partition by first_problem is null, _source_key, country_code, reported_admin_level,
                         admin1_pcode, admin2_pcode, sector_code
            order by people_in_need desc nulls last, _row_number
        ) end as rank_in_unit
    from checked
)

select
    'hno' as need_source,
    {{ need_row_admin_columns() }},
    sector_field,
    sector_raw,
    sector_code,
    'in_need' as figure_field,
    in_need_raw as figure_raw,
    people_in_need,
    'targeted' as targeted_field,
    targeted_raw,
    people_targeted,
    'reached' as reached_field,
    reached_raw,
    people_reached,
    _number_format as number_format,
    {{ need_exclusion_columns('rank_in_unit') }}
from ranked
