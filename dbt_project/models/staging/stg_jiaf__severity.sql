-- Global JIAF workbook, sheet Severity: one row per raw.jiaf_severity row (one admin unit), still WIDE, renamed.
-- Phases stay text here; int_needs__severity unpivots and parses them. The admin key is the PiN sheet's (same
-- workbook, same admin columns), so the units resolve through the PiN's admin lookup.
select
    upper(nullif(trim(iso3), '')) as country_code,
    {{ jiaf_admin_columns() }},
    {{ text_columns(['cccm', 'education', 'nutrition', 'food_security', 'health', 'protection', 'shelter', 'nfi',
                     'wash', 'early_recovery', 'child_protection', 'gbv', 'mine_action', 'hlp', 'general_protection',
                     'final_severity']) }},
    {{ reference_period_columns() }},
    {{ admin_key_columns('iso3', 'admin_1_p_code', 'admin_1', 'admin_2_p_code', 'admin_2') }},
    {{ lineage_columns() }}
from {{ scrubbed_source('jiaf_severity') }}
