-- People in need, targeted and reached from every needs source, one row per
-- needs resource (source_key) × country × admin level × admin unit × sector, with the resource's year and
-- reference period. Only usable rows of int_needs__hno / __jiaf / __drought are used.
-- Rules:
--   * Rows reported at level 0, 1 or 2 keep their level. Rows of the same resource, unit and sector are summed
--     (a JIAF unit split by population group; none in the 2025 workbook for the configured countries).
--   * Rows reported at admin3 (ETH drought woredas, JIAF health zones) are summed to their admin2 unit — the
--     admin3 units of one admin2 are disjoint, so their PIN adds up — but only where the same resource has no
--     admin2 row of its own for that unit and sector (never both: no double counting).
--   * Nothing is summed across sectors: `Intersectoral` is only ever the source's own intersectoral figure.
--   * population_group: 'refugees' for a figure of one population group that the source keeps apart from its
--     totals (the JIAF Refugee column, outside Final PiN); null = the source's figure for everyone.
with components as (
    select * from {{ ref('int_needs__hno') }} where is_usable
    union all by name
    select * from {{ ref('int_needs__jiaf') }} where is_usable
    union all by name
    select * from {{ ref('int_needs__drought') }} where is_usable
),

summed as (
    -- Rows reported at admin 3 are summed into their admin 2 unit (summed_from_admin3).
    select
        need_source,
        source_key,
        dataset_id,
        country_code,
        least(reported_admin_level, 2) as admin_level,
        admin1_pcode,
        admin2_pcode,
        sector_code,
        population_group,
        cast(sum(people_in_need) as bigint) as people_in_need,
        cast(sum(people_targeted) as bigint) as people_targeted,
        cast(sum(people_reached) as bigint) as people_reached,
        count(*) as source_row_count,
        reported_admin_level = 3 as summed_from_admin3
    from components
    where reported_admin_level <= 3
    group by all
),

direct as (
    select * from summed where not summed_from_admin3
),

from_admin3 as (
    select * from summed where summed_from_admin3
),

combined as (
    select * from direct
    union all
    select a.*
    from from_admin3 as a
    where not exists (
        select 1
        from direct as d
        where d.source_key = a.source_key
          and d.country_code = a.country_code
          and d.admin_level = 2
          and d.admin2_pcode = a.admin2_pcode
          and d.sector_code = a.sector_code
          and d.population_group is not distinct from a.population_group
    )
)

select
    c.need_source,
    c.source_key,
    c.dataset_id,
    c.country_code,
    c.admin_level,
    c.admin1_pcode,
    c.admin2_pcode,
    c.sector_code,
    c.population_group,
    c.people_in_need,
    c.people_targeted,
    c.people_reached,
    c.source_row_count,
    c.summed_from_admin3,
    s.reference_year,
    s.need_period_start,
    s.need_period_end,
    s.need_measure
from combined as c
left join {{ ref('int_needs__sources') }} as s
    on s.source_key = c.source_key
