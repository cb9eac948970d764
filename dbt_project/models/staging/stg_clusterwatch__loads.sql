-- The load log (raw._loads): one row per resource × partition as last loaded, renamed. Read for what a load
-- says about its file (a 3W/4W file with no data rows), not for the rows themselves.
select
    source_key,
    partition,
    table_name,
    dataset_id,
    source_file,
    source_sha256,
    row_count,
    loaded_at
from {{ source('raw', 'loads') }}
