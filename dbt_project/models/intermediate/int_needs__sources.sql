-- One row per needs resource (config entry = _source_key): which kind of needs source it is, and its year and
-- reference period (from the config, carried on the raw rows by the loader; a year alone means that calendar year).
-- need_measure says what the figure the needs model reads actually counts, which follows from the format:
-- HNO `In Need` and JIAF PiN are people in need; the drought caseload's `Total Affected` / `<cluster> Affected`
-- columns are people affected (Ethiopia 2022: 24.2M affected where the 2022 plan had 20.0M in need).
with resources as (
    select 'hno' as need_source, _source_key, _dataset_id, _resource_id, _source_file,
           min(reference_period_start) as period_start, max(reference_period_end) as period_end,
           max(reference_year) as year
    from {{ ref('stg_hno__needs') }}
    group by all
    union all
    select 'jiaf', _source_key, _dataset_id, _resource_id, _source_file,
           min(reference_period_start), max(reference_period_end), max(reference_year)
    from {{ ref('stg_jiaf__pin') }}
    group by all
    union all
    select 'drought', _source_key, _dataset_id, _resource_id, _source_file,
           min(reference_period_start), max(reference_period_end), max(reference_year)
    from {{ ref('stg_drought__needs') }}
    group by all
)

select
    need_source,
    _source_key as source_key,
    _dataset_id as dataset_id,
    _resource_id as resource_id,
    _source_file as source_file,
    coalesce(year, year(period_end), year(period_start)) as reference_year,
    coalesce(period_start, make_date(coalesce(year, year(period_end)), 1, 1)) as need_period_start,
    coalesce(period_end, make_date(coalesce(year, year(period_start)), 12, 31)) as need_period_end,
    case need_source when 'drought' then 'affected' else 'in_need' end as need_measure
from resources
