-- JIAF PiN sheet, unpivoted from wide to long: one row per (raw row, cluster column with a value), plus one
-- row per raw row that has no value in any cluster column (`no_figures`; all ETH rows of the 2025 workbook).
-- Rules:
--   * Each cluster column maps to a sector code through the sector_aliases seed on the column's label
--     (normalise_key of the column name with '_' -> ' ': `food_security` -> 'food security'); `final_pin` is
--     the intersectoral figure -> `Intersectoral` (never a sum of the cluster columns). A column whose label
--     is not in the seed -> excluded (`unknown_sector`), reported.
--   * Values are floats (737051.4398963449) and are rounded to whole people by parse_count; a value that is
--     not a number -> excluded (`non_numeric`). Empty cells give no row.
--   * Reported admin level from the p-code columns that are filled: 3 when Admin 3 P-Code is, 2 when Admin 2
--     P-Code is, 1 when only Admin 1 P-Code is (SOM rows have admin2 codes and a blank Admin 1 P-Code: level 2,
--     admin1 from the lookup's parent). Admin 1/2 p-codes come from int_admin_lookup (TCD0101-style
--     ISO3-prefixed codes resolve as they are). Level-3 rows keep their admin2 p-code; int_needs sums them.
--   * The Refugee column is a population group, not a cluster: its rows keep population_group = 'refugees'
--     (sector Multi, the refugee response); Final PiN excludes refugees, so it is never added to them.
--   * One row per admin unit (admin 1/2/3 p-codes) and population group, before any sum: per cluster column, a
--     repeat identical to an earlier row is `duplicate_row` (dropped; var needs_duplicates `block` fails the needs
--     checks), the same unit with different figures is `duplicate_conflict` on every copy (none used, blocking).
--   * Two columns of the same row that map to the same sector (Protection and General Protection -> PRO,
--     Shelter and NFI -> SHL) are never summed: the larger is kept (the overall figure), the other is
--     `superseded` (not a data problem, so not a quality issue).
{%- set figure_columns = ['cccm', 'education', 'nutrition', 'food_security', 'health', 'protection', 'shelter', 'nfi',
                          'wash', 'early_recovery', 'general_protection', 'child_protection', 'gbv', 'mine_action',
                          'hlp', 'refugee', 'final_pin'] %}
with {{ jiaf_long_rows('stg_jiaf__pin', figure_columns, 'figure_field', 'figure_raw') }},

empty_rows as (
    select *, cast(null as varchar) as figure_field, cast(null as varchar) as figure_raw
    from source_rows
    where coalesce({% for c in figure_columns %}nullif({{ c }}, '-'){{ ', ' if not loop.last }}{% endfor %}) is null
),

mapped as (
    select
        l.figure_field,
        l.figure_raw,
        l.country_code,
        l.admin1_code,
        l.admin2_code,
        l.admin3_code,
        l.admin_lookup_key,
        l._source_key,
        l._dataset_id,
        l._source_file,
        l._row_number,
        l._number_format,
        l.population_group,
        replace(l.figure_field, '_', ' ') as sector_raw,
        case when l.figure_field = 'final_pin' then 'Intersectoral' else {{ sector_code_of('a') }} end as sector_code,
        {{ parse_count('l.figure_raw', 'l._number_format') }} as people_in_need
    from (
        select figure_field, figure_raw, country_code, admin1_code, admin2_code, admin3_code, admin_lookup_key,
               _source_key, _dataset_id, _source_file, _row_number, _number_format, population_group
        from long_rows
        where figure_raw <> '-'  -- '-' means none, like an empty cell
        union all
        select figure_field, figure_raw, country_code, admin1_code, admin2_code, admin3_code, admin_lookup_key,
               _source_key, _dataset_id, _source_file, _row_number, _number_format, population_group
        from empty_rows
    ) as l
    {{ sector_alias_join('aliases', 'a', "replace(l.figure_field, '_', ' ')", 'l.country_code') }}
),

checked as (
    select
        m.*,
        {{ reported_admin_level('m') }} as reported_admin_level,
        {{ admin_lookup_columns('k') }}
    from mapped as m
    left join lookup as k
        on k.lookup_key = m.admin_lookup_key
),

grain as (
    -- One row per admin unit and population group (the sheet's grain): a repeated unit would be summed by
    -- int_needs. Checked per cluster column, like the drought file's woreda x cluster.
    select
        *,
        count(distinct figure_raw) over key as n_versions,
        row_number() over (key order by _row_number) as copy_number
    from checked
    window key as (partition by _source_key, country_code, admin1_code, admin2_code, admin3_code, population_group,
                                figure_field)
),

problems as (
    select
        *,
        case
            when figure_field is null then 'no_figures'
            when n_versions > 1 then 'duplicate_conflict'
            when copy_number > 1 then 'duplicate_row'
            when {{ need_admin_unmatched() }} then 'admin_unmatched'
            when sector_code is null then 'unknown_sector'
            when people_in_need is null and figure_raw <> '-' then 'non_numeric'
            when people_in_need is null then 'no_figures'
        end as first_problem
    from grain
),

{{ ranked_problems('people_in_need desc, figure_field') }}

select
    'jiaf' as need_source,
    {{ need_row_admin_columns() }},
    figure_field as sector_field,
    case when figure_field = 'refugee' then 'refugees' end as population_group,
    sector_raw,
    sector_code,
    figure_field,
    figure_raw,
    people_in_need,
    cast(null as varchar) as targeted_field,
    cast(null as varchar) as targeted_raw,
    cast(null as bigint) as people_targeted,
    cast(null as varchar) as reached_field,
    cast(null as varchar) as reached_raw,
    cast(null as bigint) as people_reached,
    _number_format as number_format,
    {{ need_exclusion_columns() }}
from ranked
