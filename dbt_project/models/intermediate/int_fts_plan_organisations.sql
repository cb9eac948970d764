-- One row per plan × organisation of FTS's per-plan funding by organisation, with the organisation resolved
-- the way the 3W resolves it, so that a donor sees who received the money and what kind of organisation it is.
--   * requirements_usd: the organisation's requirements in the plan (section `requirements`).
--   * funding_usd: FTS report3, where pooled-fund allocations are counted at the organisation that received
--     them; first_level_funding_usd: report2, where they stay with the pooled fund.
--   * Name -> canonical name, acronym and type through the org_aliases seed (normalise_key of the FTS name, a
--     country-specific alias before a global one). When the seed gives no type, the type the country's 3W/4W
--     gives the same canonical name (int_presence, the most frequent one) is used. org_type_source says which.
with rows as (
    select * from {{ ref('stg_fts__plan_organisations') }}
    where {{ in_configured_countries('country_code') }}
),

orgs as (
    select
        country_code,
        plan_id,
        fts_organisation_name,
        min(fts_organisation_id) as fts_organisation_id,
        sum(requirements_usd) filter (where section = 'requirements') as requirements_usd,
        sum(funding_usd) filter (where section = 'report3') as funding_usd,
        sum(funding_usd) filter (where section = 'report2') as first_level_funding_usd,
        string_agg(distinct _dataset_id, ',' order by _dataset_id) as source_dataset_ids,
        min(_source_file) as source_file
    from rows
    where section in ('requirements', 'report2', 'report3')
    group by country_code, plan_id, fts_organisation_name
),

alias_match as (
    select
        orgs.country_code,
        orgs.plan_id,
        orgs.fts_organisation_name,
        a.org_name,
        a.org_acronym,
        a.org_type_code
    from orgs
    join {{ ref('org_aliases') }} as a
        on a.alias = {{ normalise_key('orgs.fts_organisation_name') }}
       and (a.country_code = orgs.country_code or a.country_code is null or a.country_code = '')
    qualify row_number() over (
        partition by orgs.country_code, orgs.plan_id, orgs.fts_organisation_name
        order by (a.country_code is null or a.country_code = ''), a.org_acronym, a.org_name
    ) = 1
),

resolved as (
    select
        orgs.*,
        coalesce(alias_match.org_name, orgs.fts_organisation_name) as organisation_name,
        alias_match.org_acronym as organisation_acronym,
        alias_match.org_type_code as alias_org_type_code,
        alias_match.org_name is not null as org_alias_matched
    from orgs
    left join alias_match
        on {{ same_keys('alias_match', 'orgs', ['country_code', 'plan_id', 'fts_organisation_name']) }}
),

presence_types as (
    -- the type the country's 3W/4W gives an organisation, by canonical name (most frequent type wins)
    select country_code, {{ normalise_key('org_name') }} as name_key, mode(org_type_code) as org_type_code
    from {{ ref('int_presence') }}
    where org_type_code is not null and org_name is not null
    group by all
),

org_type_names as (
    select org_type_code, min(org_type_name) as org_type_name
    from {{ ref('org_types') }}
    group by 1
)

select
    resolved.country_code,
    resolved.plan_id,
    resolved.fts_organisation_id,
    resolved.fts_organisation_name,
    resolved.organisation_name,
    resolved.organisation_acronym,
    resolved.org_alias_matched,
    coalesce(resolved.alias_org_type_code, presence_types.org_type_code) as org_type_code,
    org_type_names.org_type_name,
    case
        when resolved.alias_org_type_code is not null then 'org_aliases'
        when presence_types.org_type_code is not null then 'presence'
    end as org_type_source,
    resolved.requirements_usd,
    resolved.funding_usd,
    resolved.first_level_funding_usd,
    resolved.source_dataset_ids,
    resolved.source_file
from resolved
left join presence_types
    on presence_types.country_code = resolved.country_code
   and presence_types.name_key = {{ normalise_key('resolved.organisation_name') }}
left join org_type_names
    on org_type_names.org_type_code = coalesce(resolved.alias_org_type_code, presence_types.org_type_code)
