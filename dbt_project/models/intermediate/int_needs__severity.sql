-- JIAF Severity sheet, unpivoted: one row per (raw row, cluster column with a phase), Final Severity as the
-- `Intersectoral` phase of the unit.
-- Rules:
--   * Each cluster column maps to a sector code through the sector_aliases seed on its label, like the PiN
--     sheet (int_needs__jiaf). Two columns of one row that map to the same sector (Protection and General
--     Protection -> PRO, Shelter and NFI -> SHL): the first in sheet order is kept (the overall cluster
--     column), the other is `superseded`.
--   * Phases are numbers 1-5; some countries (SSD) give averages such as 2.97, kept to two decimals. 0 means the
--     cluster gave no phase for the unit (AFG mine action, SOM CCCM) -> excluded (`not_assessed`); a value that
--     is not a number, or above 5 -> excluded (`non_numeric`, `out_of_range`). Empty cells give no row.
--   * Admin units resolve through the PiN sheet's admin lookup (same workbook, same admin columns): a unit the
--     PiN sheet does not have -> excluded (`admin_unmatched`). Level 3 rows keep their admin2 parent.
{%- set phase_columns = ['cccm', 'education', 'nutrition', 'food_security', 'health', 'protection', 'shelter', 'nfi',
                         'wash', 'early_recovery', 'child_protection', 'gbv', 'mine_action', 'hlp',
                         'general_protection', 'final_severity'] %}
with source_rows as (
    select *
    from {{ ref('stg_jiaf__severity') }}
    where {{ in_configured_countries('country_code') }}
),

long_rows as (
    unpivot source_rows
    on {{ phase_columns | join(', ') }}
    into name severity_field value severity_raw
),

aliases as (
    {{ sector_alias_keys() }}
),

lookup as (
    {{ admin_lookup_for('jiaf_pin') }}
),

mapped as (
    select
        l.*,
        case
            {%- for c in phase_columns %}
            when l.severity_field = '{{ c }}' then {{ loop.index }}
            {%- endfor %}
        end as column_order,
        case when l.severity_field = 'final_severity' then 'Intersectoral' else a.sector_code end as sector_code,
        round(try_cast(l.severity_raw as double), 2) as severity,
        case
            when l.admin3_code is not null then 3
            when l.admin2_code is not null then 2
            when l.admin1_code is not null then 1
            else 0
        end as reported_admin_level,
        k.admin1_pcode,
        k.admin2_pcode
    from long_rows as l
    left join aliases as a
        on a.alias_key = {{ normalise_key("replace(l.severity_field, '_', ' ')") }}
    left join lookup as k
        on k.lookup_key = l.admin_lookup_key
    where l.severity_raw <> '-'
),

problems as (
    select
        *,
        case
            when (reported_admin_level >= 2 and admin2_pcode is null)
              or (reported_admin_level >= 1 and admin1_pcode is null) then 'admin_unmatched'
            when sector_code is null then 'unknown_sector'
            when severity is null then 'non_numeric'
            when severity = 0 then 'not_assessed'
            when severity < 1 or severity > 5 then 'out_of_range'
        end as first_problem
    from mapped
),

ranked as (
    select
        *,
        case when first_problem is null then row_number() over (
            partition by first_problem is null, _source_key, _row_number, country_code, sector_code
            order by column_order
        ) end as rank_in_row
    from problems
)

select
    'jiaf_severity' as severity_source,
    _source_key as source_key,
    _dataset_id as dataset_id,
    _source_file as source_file,
    _row_number as row_number,
    country_code,
    reference_year,
    reported_admin_level,
    case when reported_admin_level >= 1 then admin1_pcode end as admin1_pcode,
    case when reported_admin_level >= 2 then admin2_pcode end as admin2_pcode,
    admin3_code,
    severity_field,
    severity_raw,
    sector_code,
    severity,
    coalesce(first_problem, case when rank_in_row > 1 then 'superseded' end) is null as is_usable,
    coalesce(first_problem, case when rank_in_row > 1 then 'superseded' end) as exclusion_reason
from ranked
