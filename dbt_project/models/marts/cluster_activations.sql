-- Cluster activation periods per country × cluster.
--   * Derived periods (evidence = plan_years): consecutive years in which the cluster appears in the
--     country's plans (int_cluster_plan_years) form one period (gaps and islands: year - row_number() is
--     constant within a run of consecutive years). activated_on = 1 January of the first year,
--     deactivated_on = 31 December of the last year, unless the last year is the as-of year or later:
--     then the period is open (deactivated_on null, is_active true).
--   * Register periods (evidence = register, data/reference/cluster_activation_register.csv) take precedence:
--     a derived period that overlaps a register period of the same country and cluster is dropped.
--   * duration_days counts both ends: deactivated_on - activated_on + 1, or as_of - activated_on + 1 while
--     active.
{% set as_of = "cast('" ~ var('as_of') ~ "' as date)" %}

with plan_years as (
    select
        *,
        year - row_number() over (partition by country_code, cluster_code order by year) as island
    from {{ ref('int_cluster_plan_years') }}
),

derived as (
    select
        country_code,
        cluster_code,
        min(year) as first_year,
        max(year) as last_year,
        string_agg(plan_codes, ',' order by year) as plan_codes,
        string_agg(fts_cluster_names, ',' order by year) as fts_cluster_names,
        string_agg(source_dataset_ids, ',' order by year) as source_dataset_ids
    from plan_years
    group by country_code, cluster_code, island
),

derived_periods as (
    select
        country_code,
        cluster_code,
        make_date(first_year, 1, 1) as activated_on,
        case when last_year < year({{ as_of }}) then make_date(last_year, 12, 31) end as deactivated_on,
        'plan_years' as evidence,
        array_to_string(list_sort(list_distinct(string_split(plan_codes, ','))), ',') as plan_codes,
        array_to_string(list_sort(list_distinct(string_split(fts_cluster_names, ','))), ',') as fts_cluster_names,
        array_to_string(list_sort(list_distinct(string_split(source_dataset_ids, ','))), ',') as source_dataset_ids,
        null::varchar as source_url,
        null::varchar as note
    from derived
),

register_periods as (
    select
        country_code,
        cluster_code,
        activated_on,
        deactivated_on,
        'register' as evidence,
        null::varchar as plan_codes,
        null::varchar as fts_cluster_names,
        'data/reference/cluster_activation_register.csv' as source_dataset_ids,
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
    cluster_names.cluster_name,
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
    periods.activated_on as reference_period_start,
    case
        when periods.deactivated_on is null or periods.deactivated_on > {{ as_of }} then {{ as_of }}
        else periods.deactivated_on
    end as reference_period_end,
    periods.plan_codes,
    periods.fts_cluster_names,
    periods.source_url,
    periods.note,
    periods.source_dataset_ids
from periods
left join cluster_names
    on periods.cluster_code = cluster_names.cluster_code
