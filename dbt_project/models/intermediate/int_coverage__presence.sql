-- The presence rows coverage and partners_by_type use, written once: the usable rows of the 3W/4W resources
-- int_coverage__sources chose for each country, with the organisation's one type and local flag
-- (int_coverage__organisations) and the admin unit at the country's coverage level.
--   * at_coverage_level: the row resolves to a unit at that level (admin2 countries: rows without an admin2
--     unit are not placed, and are reported in quality_issues as excluded_no_admin2). Rows that are not placed
--     still show which sectors the 3W reports (presence_reported).
select
    p.country_code,
    p.source_key,
    p.dataset_id,
    c.admin_level,
    p.admin1_pcode,
    case when c.admin_level = 2 then p.admin2_pcode end as admin2_pcode,
    c.admin_level = 1 or p.admin2_pcode is not null as at_coverage_level,
    p.sector_code,
    p.org_key,
    coalesce(p.org_acronym, p.org_name) as org_label,
    o.org_type_code,
    o.org_type_name,
    o.is_local,
    p.people_targeted,
    p.people_reached
from {{ ref('int_presence') }} as p
join {{ ref('int_coverage__sources') }} as c
    on c.country_code = p.country_code
   and list_contains(string_split(c.presence_source_keys, ', '), p.source_key)
left join {{ ref('int_coverage__organisations') }} as o
    on o.country_code = p.country_code
   and o.org_key = p.org_key
where p.is_usable
