-- The curated cluster activation register (seed cluster_activation_register, data/reference/cluster_activation_register.csv), renamed and normalised.
-- The seed config types the dates (a malformed date fails dbt seed). Free text loses e-mail addresses and phone
-- numbers (macros/personal_data.sql); `clusterwatch config check` names the row that holds them.
select
    upper(trim(country)) as country_code,
    upper(trim(cluster)) as cluster_code,
    lower(trim(structure)) as structure,
    activated_on,
    deactivated_on,
    {{ scrub_personal_data("nullif(trim(lead_agency), '')") }} as lead_agency,
    {{ scrub_personal_data("nullif(trim(co_lead_agencies), '')") }} as co_lead_agencies,
    lower(trim(level)) as level,
    nullif(trim(source_url), '') as source_url,
    {{ scrub_personal_data("nullif(trim(recorded_by), '')") }} as recorded_by,
    recorded_on,
    {{ scrub_personal_data("nullif(trim(note), '')") }} as note
from {{ ref('cluster_activation_register') }}
