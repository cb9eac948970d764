-- HDX Global HPC HNO: one row per raw.hno_hpc row, renamed and typed. Category rows and totals are both kept
-- here; int_needs__hno keeps the totals only. Figures are parsed with parse_count and kept as given (*_raw).
-- The reference period and year come from the config, added by the loader.
select
    upper(nullif(trim(country_iso3), '')) as country_code,
    {{ text_columns({'admin_1_pcode': 'admin1_code', 'admin_1_name': 'admin1_name',
                     'admin_2_pcode': 'admin2_code', 'admin_2_name': 'admin2_name'}) }},
    {{ text_columns(['description', 'cluster', 'category', 'info']) }},
    {{ parse_count('population') }} as population,
    {{ text_columns({'in_need': 'in_need_raw'}) }}, {{ parse_count('in_need') }} as people_in_need,
    {{ text_columns({'targeted': 'targeted_raw'}) }}, {{ parse_count('targeted') }} as people_targeted,
    {{ text_columns({'affected': 'affected_raw'}) }}, {{ parse_count('affected') }} as people_affected,
    {{ text_columns({'reached': 'reached_raw'}) }}, {{ parse_count('reached') }} as people_reached,
    {{ reference_period_columns() }},
    {{ admin_key_columns('country_iso3', 'admin_1_pcode', 'admin_1_name', 'admin_2_pcode', 'admin_2_name') }},
    _number_format,
    {{ lineage_columns() }}
from {{ scrubbed_source('hno_hpc') }}
