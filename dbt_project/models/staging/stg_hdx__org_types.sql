-- Organization Types (beta) vocabulary: one row per raw.org_types row, renamed.
select
    nullif(trim(hr_info_id), '') as org_type_id,
    nullif(trim(preferred_term), '') as org_type_name,
    {{ lineage_columns() }}
from {{ scrubbed_source('org_types') }}
