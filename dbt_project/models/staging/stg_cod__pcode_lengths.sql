-- Global p-code lengths: one row per raw.pcode_lengths row, renamed. Lengths stay text because a country can
-- list alternatives (`7|2`).
select
    upper(nullif(trim(location), '')) as country_code,
    {{ text_columns({'country_length': 'country_length', 'admin_1_length': 'admin1_length',
                     'admin_2_length': 'admin2_length', 'admin_3_length': 'admin3_length',
                     'admin_4_length': 'admin4_length', 'admin_5_length': 'admin5_length'}) }},
    {{ lineage_columns() }}
from {{ scrubbed_source('pcode_lengths') }}
