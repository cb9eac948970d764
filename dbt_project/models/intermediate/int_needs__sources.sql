-- One row per needs resource (config entry = _source_key): which kind of needs source it is, and its year and
-- reference period. The raw needs tables carry no period column today (only 3W rows get one from the config),
-- so the period is taken from the first of:
--   1. raw columns reference_period_start/end and year, when the loader provides them (`raw_columns`);
--   2. the var `source_reference_periods` = {source_key: {start: ..., end: ..., year: ...}} that a run can pass
--      from the config's `reference_period` / `year` (`var`);
--   3. a year (19xx/20xx) in the config id, then the resource id, file name or dataset id, e.g.
--      `hno_hpc_2024`, `GLOBAL-JIAF-DATA 1.04.2025.xlsx` (`source_name`); the period is then that calendar year.
-- A source with none of these has a null period (and a quality issue).
{%- set periods = var('source_reference_periods', {}) %}
{%- set year_re = '(?:^|[^0-9])((?:19|20)[0-9]{2})(?:[^0-9]|$)' %}

with resources as (
    select 'hno' as need_source, _source_key, _dataset_id, _resource_id, _source_file,
           min(reference_period_start) as raw_start, max(reference_period_end) as raw_end, max(reference_year) as raw_year
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
),

var_periods as (
    select *
    from (values
        {%- for key, p in periods.items() %}
        ('{{ key }}',
         cast({{ "'" ~ p.get('start') ~ "'" if p.get('start') else 'null' }} as date),
         cast({{ "'" ~ p.get('end') ~ "'" if p.get('end') else 'null' }} as date),
         cast({{ p.get('year') if p.get('year') else 'null' }} as integer)),
        {%- endfor %}
        (cast(null as varchar), cast(null as date), cast(null as date), cast(null as integer))
    ) as v (source_key, var_start, var_end, var_year)
    where source_key is not null
),

from_var as (
    select
        r.*,
        v.var_start,
        v.var_end,
        v.var_year,
        try_cast(coalesce(
            nullif(regexp_extract(r._source_key, '{{ year_re }}', 1), ''),
            nullif(regexp_extract(r._resource_id, '{{ year_re }}', 1), ''),
            nullif(regexp_extract(r._source_file, '{{ year_re }}', 1), ''),
            nullif(regexp_extract(r._dataset_id, '{{ year_re }}', 1), '')
        ) as integer) as name_year
    from resources as r
    left join var_periods as v
        on v.source_key = r._source_key
),

resolved as (
    select
        *,
        case
            when raw_start is not null or raw_end is not null or raw_year is not null then 'raw_columns'
            when var_start is not null or var_end is not null or var_year is not null then 'var'
            when name_year is not null then 'source_name'
            else 'none'
        end as period_method
    from from_var
)

select
    need_source,
    _source_key as source_key,
    _dataset_id as dataset_id,
    _resource_id as resource_id,
    _source_file as source_file,
    case period_method
        when 'raw_columns' then coalesce(raw_year, year(raw_end), year(raw_start))
        when 'var' then coalesce(var_year, year(var_end), year(var_start))
        when 'source_name' then name_year
    end as reference_year,
    case period_method
        when 'raw_columns' then coalesce(raw_start, make_date(coalesce(raw_year, year(raw_end)), 1, 1))
        when 'var' then coalesce(var_start, make_date(coalesce(var_year, year(var_end)), 1, 1))
        when 'source_name' then make_date(name_year, 1, 1)
    end as need_period_start,
    case period_method
        when 'raw_columns' then coalesce(raw_end, make_date(coalesce(raw_year, year(raw_start)), 12, 31))
        when 'var' then coalesce(var_end, make_date(coalesce(var_year, year(var_start)), 12, 31))
        when 'source_name' then make_date(name_year, 12, 31)
    end as need_period_end,
    period_method
from resolved
