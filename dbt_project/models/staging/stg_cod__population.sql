-- COD-PS population, standardised long format: one row per raw.population row, renamed and typed.
select
    upper(nullif(trim(iso3), '')) as country_code,
    {{ text_columns({'country': 'country_name', 'adm1_pcode': 'admin1_code', 'adm1_name': 'admin1_name',
                     'adm2_pcode': 'admin2_code', 'adm2_name': 'admin2_name'}) }},
    {{ text_columns(['population_group', 'gender', 'age_range']) }},
    try_cast(try_cast(nullif(trim(age_min), '') as double) as integer) as age_min,
    try_cast(try_cast(nullif(trim(age_max), '') as double) as integer) as age_max,
    {{ parse_count('population') }} as population,
    try_cast(try_cast(nullif(trim(reference_year), '') as double) as integer) as reference_year,
    {{ lineage_columns() }}
from {{ scrubbed_source('population') }}
