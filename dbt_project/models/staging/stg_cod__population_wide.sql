-- COD-PS population as published per country (wide): one row per raw.population_wide row. The sex × age
-- columns differ from country to country (f_tl, m_00_04, t_80plus, enfants_00_18, ...), so every column is
-- passed through as it is (text, figures like "448,465" unparsed); only the two config columns are typed.
select
    * replace (
        upper(nullif(trim(country_code), '')) as country_code,
        try_cast(nullif(trim(admin_level), '') as integer) as admin_level
    )
from {{ scrubbed_source('population_wide') }}
