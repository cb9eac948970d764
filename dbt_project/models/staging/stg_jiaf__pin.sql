-- Global JIAF workbook, sheet PiN: one row per raw.jiaf_pin row (one admin unit), still WIDE, renamed.
-- Cluster columns stay as given (text; floats such as 737051.4398963449) so that int_needs__jiaf can parse
-- and round them with parse_count and report values that are not numbers. The reference period and year come
-- from the config, added by the loader.
select
    upper(nullif(trim(iso3), '')) as country_code,
    nullif(trim(admin_0), '') as admin0_name,
    nullif(trim(admin_1_p_code), '') as admin1_code,
    nullif(trim(admin_1), '') as admin1_name,
    nullif(trim(admin_2_p_code), '') as admin2_code,
    nullif(trim(admin_2), '') as admin2_name,
    nullif(trim(admin_3_p_code), '') as admin3_code,
    nullif(trim(admin_3), '') as admin3_name,
    {{ parse_count('population') }} as population,
    nullif(trim(population_group), '') as population_group,
    nullif(trim(cccm), '') as cccm,
    nullif(trim(education), '') as education,
    nullif(trim(nutrition), '') as nutrition,
    nullif(trim(food_security), '') as food_security,
    nullif(trim(health), '') as health,
    nullif(trim(protection), '') as protection,
    nullif(trim(shelter), '') as shelter,
    nullif(trim(nfi), '') as nfi,
    nullif(trim(wash), '') as wash,
    nullif(trim(early_recovery), '') as early_recovery,
    nullif(trim(general_protection), '') as general_protection,
    nullif(trim(child_protection), '') as child_protection,
    nullif(trim(gbv), '') as gbv,
    nullif(trim(mine_action), '') as mine_action,
    nullif(trim(hlp), '') as hlp,
    nullif(trim(refugee), '') as refugee,
    nullif(trim(final_pin), '') as final_pin,
    try_cast(nullif(trim(reference_period_start), '') as date) as reference_period_start,
    try_cast(nullif(trim(reference_period_end), '') as date) as reference_period_end,
    try_cast(nullif(trim(reference_year), '') as integer) as reference_year,
    {{ admin_key_columns('iso3', 'admin_1_p_code', 'admin_1', 'admin_2_p_code', 'admin_2') }},
    _number_format,
    {{ lineage_columns() }}
from {{ source('raw', 'jiaf_pin') }}
