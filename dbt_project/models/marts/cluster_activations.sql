-- Cluster activation periods per country × cluster × structure.
--   * Derived periods (evidence = fts_plan_clusters): runs of years in which the cluster has a line of its own
--     in the country's plans (FTS per-plan cluster file), with one-year gaps and folded years bridged
--     (int_cluster_activation_years). activated_on = 1 January of the first year, deactivated_on = 31 December
--     of the last year, unless the last year is the as-of year or later: then the period is open.
--   * structure: a refugee response line is `refugee_response` (not a cluster). Otherwise the run is split at
--     the date the cluster approach reached the country (seed cluster_rollout: the country's row, else the
--     default row, never before the global row): `sector` before it, `cluster` from it.
--   * confidence: `high` for register periods, `medium` for derived periods, `low` for a derived period that
--     rests on a single flash-appeal year.
--   * Register periods (evidence = register, data/reference/cluster_activation_register.csv) take precedence:
--     a derived period that overlaps a register period of the same country and cluster is dropped.
--   * duration_days counts both ends: deactivated_on - activated_on + 1, or as_of - activated_on + 1 while
--     active.
{% set as_of = "cast('" ~ var('as_of') ~ "' as date)" %}

with years as (
    select * from {{ ref('int_cluster_activation_years') }}
),

rollout_seed as (
    select * from {{ ref('cluster_rollout') }}
),

rollout as (
    -- the date the cluster approach reached each country of the years table
    select
        countries.country_code,
        greatest(
            coalesce(country_row.rolled_out_on, (select min(rolled_out_on) from rollout_seed where scope = 'default')),
            (select min(rolled_out_on) from rollout_seed where scope = 'global')
        ) as rolled_out_on
    from (select distinct country_code from years) as countries
    left join rollout_seed as country_row
        on country_row.scope = 'country' and country_row.country_code = countries.country_code
),

parts as (
    -- each year of a run goes to the structure(s) it falls in; the roll-out year goes to both when the
    -- approach arrived after 1 January
    select years.*, 'refugee_response' as structure, rollout.rolled_out_on
    from years join rollout using (country_code)
    where years.line_structure = 'refugee_response'
    union all
    select years.*, 'sector', rollout.rolled_out_on
    from years join rollout using (country_code)
    where years.line_structure <> 'refugee_response' and make_date(years.year, 1, 1) < rollout.rolled_out_on
    union all
    select years.*, 'cluster', rollout.rolled_out_on
    from years join rollout using (country_code)
    where years.line_structure <> 'refugee_response' and make_date(years.year, 12, 31) >= rollout.rolled_out_on
),

derived as (
    select
        country_code,
        cluster_code,
        structure,
        run_start,
        min(year) as first_year,
        max(year) as last_year,
        any_value(rolled_out_on) as rolled_out_on,
        count(*) filter (where has_line) as line_years,
        bool_and(is_flash_appeal_only) filter (where has_line) as is_flash_appeal_only,
        string_agg(plan_codes, ',' order by year) as plan_codes,
        string_agg(plan_types, ',' order by year) as plan_types,
        string_agg(plan_cluster_names, '; ' order by year) as plan_cluster_names,
        string_agg(source_dataset_ids, ',' order by year) as source_dataset_ids,
        string_agg(cast(year as varchar), ',' order by year) filter (where not has_line) as bridged_years,
        string_agg(year || ': ' || bridge_reason, '; ' order by year) filter (where not has_line) as bridge_reasons
    from parts
    group by country_code, cluster_code, structure, run_start
),

derived_periods as (
    select
        country_code,
        cluster_code,
        structure,
        case when structure = 'cluster' then greatest(make_date(first_year, 1, 1), rolled_out_on)
             else make_date(first_year, 1, 1) end as activated_on,
        case
            when structure = 'sector' then least(make_date(last_year, 12, 31), rolled_out_on - interval 1 day)::date
            when last_year < year({{ as_of }}) then make_date(last_year, 12, 31)
        end as deactivated_on,
        'fts_plan_clusters' as evidence,
        case when line_years = 1 and is_flash_appeal_only then 'low' else 'medium' end as confidence,
        array_to_string(list_sort(list_distinct(string_split(plan_types, ','))), ',') as plan_types,
        array_to_string(list_sort(list_distinct(string_split(plan_codes, ','))), ',') as plan_codes,
        array_to_string(list_sort(list_distinct(string_split(plan_cluster_names, '; '))), '; ') as plan_cluster_names,
        bridged_years,
        bridge_reasons,
        array_to_string(list_sort(list_distinct(string_split(source_dataset_ids, ','))), ',') as source_dataset_ids,
        null::varchar as lead_agency,
        null::varchar as co_lead_agencies,
        null::varchar as level,
        null::varchar as source_url,
        null::varchar as note
    from derived
),

register_periods as (
    select
        country_code,
        cluster_code,
        structure,
        activated_on,
        deactivated_on,
        'register' as evidence,
        'high' as confidence,
        null::varchar as plan_types,
        null::varchar as plan_codes,
        null::varchar as plan_cluster_names,
        null::varchar as bridged_years,
        null::varchar as bridge_reasons,
        'data/reference/cluster_activation_register.csv' as source_dataset_ids,
        lead_agency,
        co_lead_agencies,
        level,
        source_url,
        note
    from {{ ref('stg_reference__cluster_activation_register') }}
    where {{ in_configured_countries('country_code') }}
),

kept_derived as (
    select derived_periods.*
    from derived_periods
    where not exists (
        select 1
        from register_periods
        where register_periods.country_code = derived_periods.country_code
            and register_periods.cluster_code = derived_periods.cluster_code
            and register_periods.activated_on <= coalesce(derived_periods.deactivated_on, date '9999-12-31')
            and coalesce(register_periods.deactivated_on, date '9999-12-31') >= derived_periods.activated_on
    )
),

periods as (
    select * from register_periods
    union all
    select * from kept_derived
),

cluster_names as (
    select sector_code as cluster_code, sector_name as cluster_name
    from {{ ref('sectors') }}
)

select
    periods.country_code,
    periods.cluster_code,
    -- REF is no Global Coordination Groups code: refugee responses follow UNHCR's Refugee Coordination Model
    coalesce(cluster_names.cluster_name, case when periods.cluster_code = 'REF' then 'Refugee response' end) as cluster_name,
    periods.structure,
    periods.activated_on,
    periods.deactivated_on,
    (periods.deactivated_on is null or periods.deactivated_on > {{ as_of }}) as is_active,
    date_diff(
        'day',
        periods.activated_on,
        case
            when periods.deactivated_on is null or periods.deactivated_on > {{ as_of }} then {{ as_of }}
            else periods.deactivated_on
        end
    ) + 1 as duration_days,
    periods.evidence,
    periods.confidence,
    periods.plan_types,
    periods.bridged_years,
    periods.bridge_reasons,
    periods.activated_on as reference_period_start,
    case
        when periods.deactivated_on is null or periods.deactivated_on > {{ as_of }} then {{ as_of }}
        else periods.deactivated_on
    end as reference_period_end,
    periods.plan_codes,
    periods.plan_cluster_names,
    periods.lead_agency,
    periods.co_lead_agencies,
    periods.level,
    periods.source_url,
    periods.note,
    periods.source_dataset_ids
from periods
left join cluster_names
    on periods.cluster_code = cluster_names.cluster_code
