-- The years each cluster counts as active in a country, from the years it has a plan line of its own
-- (int_cluster_plan_years), with the gaps that do not end a period bridged:
--   * a gap of one plan-year between two years with a line ("one plan-year gap");
--   * a gap of any length in which the cluster's host line (seed cluster_folding: an area of responsibility in
--     the Protection line, Nutrition in Health...) is there every year ("folded into the <host> line");
--   * the as-of year alone after the last year with a line, when the host line is there that year (the
--     cluster is costed inside its host in the latest plan, e.g. Somalia 2026's protection line).
-- Longer trailing gaps end the period. One row per covered year; run_start groups the years of one period.
{% set as_of_year = "year(cast('" ~ var('as_of') ~ "' as date))" %}

with plan_years as (
    select * from {{ ref('int_cluster_plan_years') }}
),

folding as (
    select cluster_code, host_cluster_code from {{ ref('cluster_folding') }}
),

grid as (
    -- every year from the cluster's first line to the as-of year
    select country_code, cluster_code, unnest(generate_series(min(year), {{ as_of_year }})) as year
    from plan_years
    group by country_code, cluster_code
),

flagged as (
    select
        grid.country_code,
        grid.cluster_code,
        grid.year,
        plan_years.year is not null as has_line,
        folding.host_cluster_code,
        host.year is not null as host_has_line
    from grid
    left join plan_years
        on {{ same_keys('plan_years', 'grid', ['country_code', 'cluster_code', 'year']) }}
    left join folding
        on folding.cluster_code = grid.cluster_code
    left join plan_years as host
        on host.country_code = grid.country_code
        and host.cluster_code = folding.host_cluster_code
        and host.year = grid.year
),

neighbours as (
    select
        *,
        max(case when has_line then year end) over (
            partition by country_code, cluster_code order by year rows between unbounded preceding and 1 preceding
        ) as previous_line_year,
        min(case when has_line then year end) over (
            partition by country_code, cluster_code order by year rows between 1 following and unbounded following
        ) as next_line_year
    from flagged
),

gaps as (
    select
        country_code,
        cluster_code,
        previous_line_year,
        min(next_line_year) as next_line_year,
        count(*) as gap_years,
        count(*) filter (where host_has_line) as folded_years
    from neighbours
    where not has_line
    group by country_code, cluster_code, previous_line_year
),

decided as (
    select
        neighbours.*,
        case
            when neighbours.has_line then null
            when gaps.next_line_year is not null and gaps.folded_years = gaps.gap_years
                then 'folded into the ' || neighbours.host_cluster_code || ' line'
            when gaps.next_line_year is not null and gaps.gap_years = 1 then 'one plan-year gap'
            when gaps.next_line_year is null and gaps.gap_years = 1 and neighbours.host_has_line
                then 'folded into the ' || neighbours.host_cluster_code || ' line'
        end as bridge_reason
    from neighbours
    left join gaps
        on {{ same_keys('gaps', 'neighbours', ['country_code', 'cluster_code', 'previous_line_year']) }}
),

covered as (
    select *, year - row_number() over (partition by country_code, cluster_code order by year) as island
    from decided
    where has_line or bridge_reason is not null
)

select
    covered.country_code,
    covered.cluster_code,
    covered.year,
    min(covered.year) over (partition by covered.country_code, covered.cluster_code, covered.island) as run_start,
    covered.has_line,
    covered.bridge_reason,
    coalesce(plan_years.line_structure, max(plan_years.line_structure) over (
        partition by covered.country_code, covered.cluster_code)) as line_structure,
    plan_years.plan_codes,
    plan_years.plan_types,
    plan_years.is_flash_appeal_only,
    plan_years.plan_cluster_names,
    plan_years.source_dataset_ids
from covered
left join plan_years
    on {{ same_keys('plan_years', 'covered', ['country_code', 'cluster_code', 'year']) }}
