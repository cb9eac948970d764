-- The curated cluster activation register (data/reference/cluster_activations.csv), renamed and normalised.
-- read_csv has already typed the dates (a malformed date fails the build with the file and line).
select
    upper(trim(country)) as country_code,
    upper(trim(cluster)) as cluster_code,
    activated_on,
    deactivated_on,
    nullif(trim(source_url), '') as source_url,
    nullif(trim(note), '') as note
from {{ source('reference', 'cluster_activations') }}
