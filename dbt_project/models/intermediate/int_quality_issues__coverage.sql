-- Problems found when putting presence and needs side by side: one row per country × sector whose presence
-- and needs reference periods are more than var('reference_gap_days') apart (Afghanistan: 3W Jul-Sep 2021,
-- needs 2025). Not tied to a source row: file and row are null, the value gives both periods.
select
    'coverage' as source,
    c.need_source_key as source_key,
    c.need_dataset_id as dataset_id,
    cast(null as varchar) as file,
    cast(null as bigint) as "row",
    v.country_code,
    v.sector_code,
    'reference_period' as field,
    'presence ' || strftime(c.presence_period_start, '%Y-%m-%d') || '..' || strftime(c.presence_period_end, '%Y-%m-%d')
      || ' (' || c.presence_source_keys || '); needs ' || strftime(c.need_period_start, '%Y-%m-%d') || '..'
      || strftime(c.need_period_end, '%Y-%m-%d') || ' (' || c.need_source_key || ')' as value,
    'periods_far_apart' as issue_code,
    'Presence and needs reference periods are ' || c.reference_gap_days || ' days apart (more than '
      || {{ var('reference_gap_days') }} || '); partner counts may not describe the response to these needs' as issue,
    'warning' as severity
from (select distinct country_code, sector_code from {{ ref('coverage') }} where periods_far_apart) as v
join {{ ref('int_coverage__sources') }} as c
    on c.country_code = v.country_code
