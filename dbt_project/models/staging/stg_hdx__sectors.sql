-- Global Coordination Groups (beta) vocabulary: one row per raw.sectors row, renamed.
select
    upper(nullif(trim(acronym), '')) as sector_code,
    nullif(trim(preferred_term), '') as sector_name,
    {{ lineage_columns() }}
from {{ scrubbed_source('sectors') }}
