-- No needs row is repeated at its grain (one woreda and cluster per drought file): the same woreda with
-- different figures always fails; identical copies fail too when the config's needs_duplicates is `block`
-- (with `drop_exact` they are dropped and listed in quality_issues as warnings). Returns the repeated rows.
select source_key, source_file, row_number, country_code, sector_code, figure_raw, exclusion_reason
from {{ ref('int_needs__drought') }}
where exclusion_reason = 'duplicate_conflict'
   or (exclusion_reason = 'duplicate_row' and '{{ var("needs_duplicates", "drop_exact") }}' = 'block')
