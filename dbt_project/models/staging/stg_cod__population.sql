-- COD-PS population, standardised long format: one row per raw.population row, renamed and typed.
select
    upper(nullif(trim(iso3), '')) as country_code,
    nullif(trim(country), '') as country_name,
    nullif(trim(adm1_pcode), '') as admin1_code,
    nullif(trim(adm1_name), '') as admin1_name,
    nullif(trim(adm2_pcode), '') as admin2_code,
    nullif(trim(adm2_name), '') as admin2_name,
    nullif(trim(population_group), '') as population_group,
    nullif(trim(gender), '') as gender,
    nullif(trim(age_range), '') as age_range,
    try_cast(try_cast(nullif(trim(age_min), '') as double) as integer) as age_min,
    try_cast(try_cast(nullif(trim(age_max), '') as double) as integer) as age_max,
    {{ parse_count('population') }} as population,
    try_cast(try_cast(nullif(trim(reference_year), '') as double) as integer) as reference_year,
    {{ lineage_columns() }}
from {{ source('raw', 'population') }}
