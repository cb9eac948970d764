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
with {{ jiaf_long_rows('stg_jiaf__severity', phase_columns, 'severity_field', 'severity_raw') }},

mapped as (
    select
        l.*,
        case
            {%- for c in phase_columns %}
            when l.severity_field = '{{ c }}' then {{ loop.index }}
            {%- endfor %}
        end as column_order,
        case when l.severity_field = 'final_severity' then 'Intersectoral' else {{ sector_code_of('a') }} end as sector_code,
        round(try_cast(l.severity_raw as double), 2) as severity,
        {{ reported_admin_level('l') }} as reported_admin_level,
        k.admin1_pcode,
        k.admin2_pcode
    from long_rows as l
    {{ sector_alias_join('aliases', 'a', "replace(l.severity_field, '_', ' ')", 'l.country_code') }}
    left join lookup as k
        on k.lookup_key = l.admin_lookup_key
    where l.severity_raw <> '-'
),

problems as (
    select
        *,
        case
            when {{ need_admin_unmatched() }} then 'admin_unmatched'
            when sector_code is null then 'unknown_sector'
            when severity is null then 'non_numeric'
            when severity = 0 then 'not_assessed'
            when severity < 1 or severity > 5 then 'out_of_range'
        end as first_problem
    from mapped
),

{{ ranked_problems('column_order') }}

select
    'jiaf_severity' as severity_source,
    {{ need_row_lineage_columns() }},
    country_code,
    reference_year,
    reported_admin_level,
    {{ reported_admin_pcodes() }},
    admin3_code,
    severity_field,
    severity_raw,
    sector_code,
    severity,
    {{ need_exclusion_columns() }}
from ranked
