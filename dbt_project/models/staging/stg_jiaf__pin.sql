-- Global JIAF workbook, sheet PiN: one row per raw.jiaf_pin row (one admin unit), still WIDE, renamed.
-- Cluster columns stay as given (text; floats such as 737051.4398963449) so that int_needs__jiaf can parse
-- and round them with parse_count and report values that are not numbers. The reference period and year come
-- from the config, added by the loader.
select
    upper(nullif(trim(iso3), '')) as country_code,
    {{ jiaf_admin_columns() }},
    {{ parse_count('population') }} as population,
    {{ text_columns(['population_group', 'cccm', 'education', 'nutrition', 'food_security', 'health', 'protection',
                     'shelter', 'nfi', 'wash', 'early_recovery', 'general_protection', 'child_protection', 'gbv',
                     'mine_action', 'hlp', 'refugee', 'final_pin']) }},
    {{ reference_period_columns() }},
    {{ admin_key_columns('iso3', 'admin_1_p_code', 'admin_1', 'admin_2_p_code', 'admin_2') }},
    _number_format,
    {{ lineage_columns() }}
from {{ scrubbed_source('jiaf_pin') }}
