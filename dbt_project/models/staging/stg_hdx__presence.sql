-- 3W/4W operational presence: one row per raw.presence row, renamed and typed. Text is trimmed (blank -> null);
-- people figures are parsed with parse_count and also kept as given (*_raw) so that intermediate models can
-- report values that are not numbers. admin_lookup_key (with admin_key_parts) is the join key to normalised.admin_lookup,
-- computed from the UNTRIMMED raw values by the admin_key_columns macro (int_admin_keys lists every key).
select
    upper(nullif(trim(country_code), '')) as country_code,
    nullif(trim(admin1_code), '') as admin1_code,
    nullif(trim(admin1_name), '') as admin1_name,
    nullif(trim(admin2_code), '') as admin2_code,
    nullif(trim(admin2_name), '') as admin2_name,
    nullif(trim(admin3_code), '') as admin3_code,
    nullif(trim(admin3_name), '') as admin3_name,
    nullif(trim(org_name), '') as org_name,
    nullif(trim(org_acronym), '') as org_acronym,
    nullif(trim(org_type), '') as org_type,
    nullif(trim(sector), '') as sector,
    nullif(trim(status), '') as status,
    nullif(trim(start_date), '') as start_date,
    nullif(trim(end_date), '') as end_date,
    nullif(trim(people_targeted), '') as people_targeted_raw,
    {{ parse_count('people_targeted') }} as people_targeted,
    nullif(trim(people_reached), '') as people_reached_raw,
    {{ parse_count('people_reached') }} as people_reached,
    try_cast(nullif(trim(reference_period_start), '') as date) as reference_period_start,
    try_cast(nullif(trim(reference_period_end), '') as date) as reference_period_end,
    nullif(row_hash, '') as row_hash,
    {{ admin_key_columns('country_code', 'admin1_code', 'admin1_name', 'admin2_code', 'admin2_name') }},
    {{ lineage_columns() }}
from {{ source('raw', 'presence') }}
