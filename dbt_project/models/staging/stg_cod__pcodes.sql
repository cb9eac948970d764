-- Global COD-AB p-code list: one row per raw.pcodes row, renamed and typed.
select
    upper(nullif(trim(location), '')) as country_code,
    try_cast(try_cast(nullif(trim(admin_level), '') as double) as integer) as admin_level,
    nullif(trim(p_code), '') as pcode,
    nullif(trim(name), '') as name,
    nullif(trim(parent_p_code), '') as parent_pcode,
    try_cast(left(nullif(trim(valid_from_date), ''), 10) as date) as valid_from_date,
    {{ lineage_columns() }}
from {{ scrubbed_source('pcodes') }}
