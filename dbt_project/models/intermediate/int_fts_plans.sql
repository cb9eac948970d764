-- FTS requirements and funding per country × plan × year (the FTS plan file), in the configured countries.
-- Every plan FTS attributes to the country is a row, regional plans included (their amounts are the
-- country's share as FTS publishes it); `Not specified` rows (blank plan id) hold funding outside any plan.

select
    {{ fts_plan_key_columns() }},
    plan_type_id,
    plan_type_name as plan_type,
    plan_start_date,
    plan_end_date,
    requirements_usd,
    funding_usd,
    percent_funded_published,
    {{ lineage_columns() }}
from {{ ref('stg_fts__requirements_plan') }}
where {{ in_configured_countries('country_code') }}
