-- 3W/4W operational presence: one row per raw.presence row, renamed and typed. Text is trimmed (blank -> null);
-- people figures are parsed with parse_count and also kept as given (*_raw) so that intermediate models can
-- report values that are not numbers. admin_lookup_key (with admin_key_parts) is the join key to int_admin_lookup,
-- computed from the UNTRIMMED raw values by the admin_key_columns macro (int_admin_keys lists every key).
select
    upper(nullif(trim(country_code), '')) as country_code,
    {{ text_columns(['admin1_code', 'admin1_name', 'admin2_code', 'admin2_name', 'admin3_code', 'admin3_name',
                     'org_name', 'org_acronym', 'org_type', 'sector', 'status', 'start_date', 'end_date']) }},
    {{ text_columns({'people_targeted': 'people_targeted_raw'}) }},
    {{ parse_count('people_targeted') }} as people_targeted,
    {{ text_columns({'people_reached': 'people_reached_raw'}) }},
    {{ parse_count('people_reached') }} as people_reached,
    {{ reference_period_columns(year=false) }},
    nullif(row_hash, '') as row_hash,
    _number_format,
    {{ admin_key_columns('country_code', 'admin1_code', 'admin1_name', 'admin2_code', 'admin2_name') }},
    {{ lineage_columns() }}
from {{ scrubbed_source('presence') }}
