-- Source files whose last load failed (raw._load_failures, written by the raw assets): one row per resource ×
-- partition. The partition kept its previous rows, so the marts are built from the last good load.
select
    source_key,
    partition as load_partition,
    kind,
    table_name,
    dataset_id,
    source_file,
    reason,
    last_good_loaded_at,
    failed_at
from {{ source('raw', '_load_failures') }}
