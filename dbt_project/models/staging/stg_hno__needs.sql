-- HDX Global HPC HNO: one row per raw.hno_hpc row, renamed and typed. Category rows and totals are both kept
-- here; int_needs__hno keeps the totals only. Figures are parsed with parse_count and kept as given (*_raw).
-- The reference period and year come from the config, added by the loader.
select
    upper(nullif(trim(country_iso3), '')) as country_code,
    nullif(trim(admin_1_pcode), '') as admin1_code,
    nullif(trim(admin_1_name), '') as admin1_name,
    nullif(trim(admin_2_pcode), '') as admin2_code,
    nullif(trim(admin_2_name), '') as admin2_name,
    nullif(trim(description), '') as description,
    nullif(trim(cluster), '') as cluster,
    nullif(trim(category), '') as category,
    nullif(trim(info), '') as info,
    {{ parse_count('population') }} as population,
    nullif(trim(in_need), '') as in_need_raw,
    {{ parse_count('in_need') }} as people_in_need,
    nullif(trim(targeted), '') as targeted_raw,
    {{ parse_count('targeted') }} as people_targeted,
    nullif(trim(affected), '') as affected_raw,
    {{ parse_count('affected') }} as people_affected,
    nullif(trim(reached), '') as reached_raw,
    {{ parse_count('reached') }} as people_reached,
    try_cast(nullif(trim(reference_period_start), '') as date) as reference_period_start,
    try_cast(nullif(trim(reference_period_end), '') as date) as reference_period_end,
    try_cast(nullif(trim(reference_year), '') as integer) as reference_year,
    {{ admin_key_columns('country_iso3', 'admin_1_pcode', 'admin_1_name', 'admin_2_pcode', 'admin_2_name') }},
    {{ lineage_columns() }}
from {{ source('raw', 'hno_hpc') }}
