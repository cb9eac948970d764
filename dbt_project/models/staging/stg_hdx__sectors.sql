-- Global Coordination Groups (beta) vocabulary: one row per raw.sectors row, renamed.
select
    upper(nullif(trim(acronym), '')) as sector_code,
    nullif(trim(preferred_term), '') as sector_name,
    _dataset_id,
    _resource_id,
    _resource_modified,
    _source_file,
    _source_sha256,
    _row_number,
    _loaded_at,
    _source_key,
    _partition
from {{ source('raw', 'sectors') }}
