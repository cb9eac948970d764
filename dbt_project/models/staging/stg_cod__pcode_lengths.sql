-- Global p-code lengths: one row per raw.pcode_lengths row, renamed. Lengths stay text because a country can
-- list alternatives (`7|2`).
select
    upper(nullif(trim(location), '')) as country_code,
    nullif(trim(country_length), '') as country_length,
    nullif(trim(admin_1_length), '') as admin1_length,
    nullif(trim(admin_2_length), '') as admin2_length,
    nullif(trim(admin_3_length), '') as admin3_length,
    nullif(trim(admin_4_length), '') as admin4_length,
    nullif(trim(admin_5_length), '') as admin5_length,
    {{ lineage_columns() }}
from {{ source('raw', 'pcode_lengths') }}
