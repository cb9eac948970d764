-- FTS funding per plan by recipient organisation (int_fts_plan_organisations), with the plan's code and year
-- from the FTS plan file and the share of the plan's funding that went to national organisations.
--   * funding_usd counts pooled-fund allocations at the organisation that received them (FTS report3);
--     funding_share = funding_usd / the plan's total of that report.
--   * is_national_organisation: the organisation type is National NGO (441); null when the type is unknown.
--   * plan_national_funding_share: the plan's funding to national NGOs over all its funding; beside it,
--     plan_typed_funding_share says how much of the funding went to organisations whose type is known (the
--     national share is a lower bound when that is under 1).
with orgs as (
    select * from {{ ref('int_fts_plan_organisations') }}
),

plans as (
    select country_code, plan_id, min(year) as year, min(plan_code) as plan_code, min(plan_name) as plan_name
    from {{ ref('int_fts_plans') }}
    where plan_id is not null
    group by all
),

shaped as (
    select
        orgs.*,
        orgs.org_type_code = '441' as is_national_organisation,
        sum(orgs.funding_usd) over (partition by orgs.country_code, orgs.plan_id) as plan_funding_usd
    from orgs
)

select
    shaped.country_code,
    plans.year,
    plans.plan_code,
    plans.plan_name,
    shaped.organisation_name,
    shaped.organisation_acronym,
    shaped.org_type_code,
    shaped.org_type_name,
    case when shaped.org_type_code is not null then shaped.is_national_organisation end as is_national_organisation,
    shaped.requirements_usd,
    shaped.funding_usd,
    shaped.first_level_funding_usd,
    shaped.funding_usd / nullif(shaped.plan_funding_usd, 0) as funding_share,
    sum(shaped.funding_usd) filter (where shaped.is_national_organisation)
        over (partition by shaped.country_code, shaped.plan_id) / nullif(shaped.plan_funding_usd, 0)
        as plan_national_funding_share,
    sum(shaped.funding_usd) filter (where shaped.org_type_code is not null)
        over (partition by shaped.country_code, shaped.plan_id) / nullif(shaped.plan_funding_usd, 0)
        as plan_typed_funding_share,
    shaped.plan_id,
    shaped.fts_organisation_id,
    shaped.fts_organisation_name,
    shaped.org_type_source,
    shaped.org_alias_matched,
    coalesce(make_date(plans.year, 1, 1), date '1900-01-01') as reference_period_start,
    coalesce(make_date(plans.year, 12, 31), date '1900-01-01') as reference_period_end,
    shaped.source_dataset_ids,
    shaped.source_file
from shaped
left join plans
    on plans.country_code = shaped.country_code
   and plans.plan_id = shaped.plan_id
