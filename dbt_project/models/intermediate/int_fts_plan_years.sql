-- The year of each FTS plan: the year under which the FTS plan file reports it (a plan listed for several
-- countries has one year), else the first year of the HPC plan list. funding_flows dates a flow to a plan
-- by this year, so that flows and plan totals fall in the same year.
with fts as (
    select plan_id, min(year) as year, count(distinct year) as fts_years
    from {{ ref('stg_fts__requirements_plan') }}
    where plan_id is not null
    group by plan_id
),

hpc as (
    select plan_id, min(try_cast(trim(y) as integer)) as year
    from (select plan_id, unnest(string_split(coalesce(years, ''), '|')) as y from {{ ref('stg_hpc__plans') }})
    where try_cast(trim(y) as integer) is not null
    group by plan_id
)

select
    coalesce(fts.plan_id, hpc.plan_id) as plan_id,
    coalesce(fts.year, hpc.year) as plan_year,
    case when fts.plan_id is not null then 'fts_plan_file' else 'hpc_plan_list' end as year_source
from fts
full outer join hpc
    on fts.plan_id = hpc.plan_id
