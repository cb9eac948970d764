-- Problems found when putting presence and needs side by side. Not tied to a source row: file and row are null.
--   * periods_far_apart: one row per country × sector whose presence and needs reference periods are more
--     than var('reference_gap_days') apart (Afghanistan: 3W Jul-Sep 2021, needs 2025); value = both periods.
--   * no_presence_source: one row per country with needs but no 3W/4W resource (Sudan); sector null.
--   * sector_not_reported: one row per country × sector with needs that the country's 3W/4W never reports
--     (Chad's 3W files child protection and GBV under Protection). In both cases coverage has
--     partner_count NULL and presence_reported false, and gaps lists no no_presence gap for those cells.
--   * possibly_underreported: one row per country × sector whose 3W/4W looks incomplete
--     (int_coverage__reporting); its gaps carry the same flag.
with choice as (
    select * from {{ ref('int_coverage__sources') }}
),

findings as (
    select
        v.country_code,
        v.sector_code,
        'reference_period' as field,
        'presence ' || strftime(c.presence_period_start, '%Y-%m-%d') || '..' || strftime(c.presence_period_end, '%Y-%m-%d')
          || ' (' || c.presence_source_keys || '); needs ' || strftime(c.need_period_start, '%Y-%m-%d') || '..'
          || strftime(c.need_period_end, '%Y-%m-%d') || ' (' || c.need_source_key || ')' as value,
        'periods_far_apart' as issue_code,
        'Presence and needs reference periods are ' || c.reference_gap_days || ' days apart (more than '
          || {{ var('reference_gap_days') }} || '); partner counts may not describe the response to these needs'
          as issue
    from (select distinct country_code, sector_code from {{ ref('coverage') }} where periods_far_apart) as v
    join choice as c
        on c.country_code = v.country_code

    union all

    select
        country_code,
        cast(null as varchar),
        'presence',
        cast(null as varchar),
        'no_presence_source',
        country_code || ': needs configured but no 3W/4W presence file; coverage shows unknown partners'
          || ' (partner_count NULL, presence_reported false) and gaps lists no no_presence gap'
    from choice
    where need_source_key is not null
      and presence_source_keys is null

    union all

    select
        v.country_code,
        v.sector_code,
        'sector',
        v.sector_code,
        'sector_not_reported',
        v.country_code || ': the 3W/4W (' || c.presence_source_keys || ') reports no ' || v.sector_code
          || ' presence while ' || v.units || ' unit(s) have need; partners unknown (partner_count NULL),'
          || ' no no_presence gap listed'
    from (
        select country_code, sector_code, count(*) as units
        from {{ ref('coverage') }}
        where not presence_reported and people_in_need is not null
        group by all
    ) as v
    join choice as c
        on c.country_code = v.country_code
    where c.presence_source_keys is not null

    union all

    select
        r.country_code,
        r.sector_code,
        'sector',
        r.sector_code,
        'possibly_underreported',
        r.country_code || ': the 3W/4W (' || c.presence_source_keys || ') looks incomplete for ' || r.sector_code
          || ' (' || r.underreported_reason || '); its gaps are flagged possibly_underreported'
    from {{ ref('int_coverage__reporting') }} as r
    join choice as c
        on c.country_code = r.country_code
    where r.possibly_underreported
)

select
    'coverage' as source,
    c.need_source_key as source_key,
    c.need_dataset_id as dataset_id,
    cast(null as varchar) as file,
    cast(null as bigint) as "row",
    f.country_code,
    f.sector_code,
    f.field,
    f.value,
    f.issue_code,
    f.issue,
    'warning' as severity
from findings as f
join choice as c
    on c.country_code = f.country_code
