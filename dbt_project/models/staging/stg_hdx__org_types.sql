-- Organization Types (beta) vocabulary: one row per raw.org_types row, renamed.
select
    nullif(trim(hr_info_id), '') as org_type_id,
    nullif(trim(preferred_term), '') as org_type_name,
    _dataset_id,
    _resource_id,
    _resource_modified,
    _source_file,
    _source_sha256,
    _row_number,
    _loaded_at,
    _source_key,
    _partition
from {{ source('raw', 'org_types') }}
