-- Coverage: people in need against partners present, per country × admin unit × sector.
-- Rules (see int_coverage__sources for the per-country choice of needs source, presence and admin level):
--   * Level 2 countries: needs rows at admin2 of the chosen source; presence rows resolved to an admin2 unit
--     (rows without one are excluded and reported in quality_issues).
--   * Level 1 countries: per admin1 unit and sector, the source's own admin1 total when it has one, else the
--     SUM of its admin2 rows in that admin1 (JIAF Chad has admin2 only) — never both, so nothing is counted
--     twice. Presence counts the partners anywhere in the admin1 unit.
--   * partner_count = distinct organisations (org_key) with a usable presence row in the unit and sector;
--     `Intersectoral` rows count the distinct organisations present in ANY sector of the unit (its people in
--     need are the source's own intersectoral figure, never a sum of sectors).
--   * presence_reported: some presence resource covers the cell - the country has chosen 3W/4W resources and,
--     for a sector row, they report that sector somewhere in the country (Intersectoral: any sector). When it
--     is false, partner_count is NULL (unknown), never 0: no 3W for Sudan, or Chad's 3W filing child
--     protection and GBV under Protection, says nothing about who works there.
--   * Units with need and no presence have partner_count 0 where presence is reported; units with presence
--     and no need have people_in_need null.
--   * people_targeted / people_reached: from the needs source when it gives them (HNO Targeted/Reached,
--     drought Target/Reached), else the sum of the presence rows' figures (reach_source says which).
--   * local_partner_count: those partners that count as local or national (int_coverage__organisations: national
--     NGOs, government, the country's own Red Cross / Red Crescent society); local_partner_share =
--     local_partner_count / partner_count (null when partners are unknown or none).
--   * severity: the unit's JIAF Final Severity phase (1-5) from the severity resource of the needs year;
--     sector_severity: the phase of the row's sector where the sheet has a column for it (int_coverage__severity).
--   * need_measure: what people_in_need counts for the chosen source (in_need, or affected for the drought
--     caseload). population_group: 'refugees' on a row whose need is the JIAF Refugee column (sector Multi);
--     the unit's Intersectoral row carries refugees_in_need (Final PiN excludes them) and population_group_note
--     says how its total is built.
--   * pin_per_partner = people_in_need / partner_count (null when no partner); reached_share =
--     people_reached / people_in_need (null when either is unknown or people_in_need is 0).
with choice as (
    select * from {{ ref('int_coverage__sources') }}
),

needs as (
    select n.*
    from {{ ref('int_needs') }} as n
    join choice as c
        on c.country_code = n.country_code
       and c.need_source_key = n.source_key
),

needs_admin2 as (
    select n.country_code, n.admin1_pcode, n.admin2_pcode, n.sector_code, n.population_group,
           n.people_in_need, n.people_targeted, n.people_reached
    from needs as n
    join choice as c on c.country_code = n.country_code
    where c.admin_level = 2 and n.admin_level = 2
),

needs_admin1_own as (
    select n.country_code, n.admin1_pcode, n.sector_code, n.population_group,
           n.people_in_need, n.people_targeted, n.people_reached
    from needs as n
    join choice as c on c.country_code = n.country_code
    where c.admin_level = 1 and n.admin_level = 1
),

needs_admin1_from_admin2 as (
    select n.country_code, n.admin1_pcode, n.sector_code, n.population_group,
           cast(sum(n.people_in_need) as bigint) as people_in_need,
           cast(sum(n.people_targeted) as bigint) as people_targeted,
           cast(sum(n.people_reached) as bigint) as people_reached
    from needs as n
    join choice as c on c.country_code = n.country_code
    where c.admin_level = 1 and n.admin_level = 2
      and not exists (
          select 1 from needs_admin1_own as o
          where o.country_code = n.country_code
            and o.admin1_pcode = n.admin1_pcode
            and o.sector_code = n.sector_code
            and o.population_group is not distinct from n.population_group
      )
    group by all
),

need_side as (
    select country_code, admin1_pcode, admin2_pcode, sector_code, population_group, people_in_need,
           people_targeted, people_reached
    from needs_admin2
    union all
    select country_code, admin1_pcode, cast(null as varchar), sector_code, population_group, people_in_need,
           people_targeted, people_reached
    from needs_admin1_own
    union all
    select country_code, admin1_pcode, cast(null as varchar), sector_code, population_group, people_in_need,
           people_targeted, people_reached
    from needs_admin1_from_admin2
),

-- Refugees in need per unit (JIAF Refugee column), kept apart from the unit's Intersectoral figure.
unit_refugees as (
    select country_code, admin1_pcode, admin2_pcode, cast(sum(people_in_need) as bigint) as refugees_in_need
    from need_side
    where population_group = 'refugees'
    group by all
),

presence_rows as (
    select country_code, admin1_pcode, admin2_pcode, sector_code, org_key, org_label, is_local,
           people_targeted, people_reached
    from {{ ref('int_coverage__presence') }}
    where at_coverage_level
),

-- Sectors the chosen presence resources report anywhere in the country (any usable row, any admin level).
reported_sectors as (
    select distinct country_code, sector_code
    from {{ ref('int_coverage__presence') }}
),

presence_side as (
    select
        country_code, admin1_pcode, admin2_pcode, sector_code,
        count(distinct org_key) as partner_count,
        count(distinct org_key) filter (where is_local) as local_partner_count,
        string_agg(distinct org_label, '; ' order by org_label) as partners,
        cast(sum(people_targeted) as bigint) as people_targeted,
        cast(sum(people_reached) as bigint) as people_reached
    from presence_rows
    where sector_code <> 'Intersectoral'
    group by all
    union all
    select
        country_code, admin1_pcode, admin2_pcode, 'Intersectoral' as sector_code,
        count(distinct org_key),
        count(distinct org_key) filter (where is_local),
        string_agg(distinct org_label, '; ' order by org_label),
        cast(sum(people_targeted) as bigint),
        cast(sum(people_reached) as bigint)
    from presence_rows
    group by all
),

joined as (
    select
        coalesce(n.country_code, p.country_code) as country_code,
        coalesce(n.admin1_pcode, p.admin1_pcode) as admin1_code,
        coalesce(n.admin2_pcode, p.admin2_pcode) as admin2_code,
        coalesce(n.sector_code, p.sector_code) as sector_code,
        n.population_group,
        n.people_in_need,
        coalesce(n.people_targeted, p.people_targeted) as people_targeted,
        coalesce(n.people_reached, p.people_reached) as people_reached,
        case
            when n.people_targeted is not null or n.people_reached is not null then 'needs'
            when p.people_targeted is not null or p.people_reached is not null then 'presence'
        end as reach_source,
        p.partner_count,
        p.local_partner_count,
        p.partners,
        n.country_code is not null as has_need,
        p.country_code is not null as has_presence
    from need_side as n
    full outer join presence_side as p
        on p.country_code = n.country_code
       and p.admin1_pcode = n.admin1_pcode
       and p.admin2_pcode is not distinct from n.admin2_pcode
       and p.sector_code = n.sector_code
),

units as (
    select country_code, admin_level, pcode, name
    from {{ ref('int_admin_units') }}
),

sectors as (
    select sector_code, sector_name
    from {{ ref('sectors') }}
)

select
    j.country_code,
    c.admin_level,
    j.admin1_code,
    u1.name as admin1_name,
    j.admin2_code,
    u2.name as admin2_name,
    j.sector_code,
    coalesce(s.sector_name, j.sector_code) as sector_name,
    j.people_in_need,
    j.people_targeted,
    j.people_reached,
    case when r.country_code is not null then coalesce(j.partner_count, 0) end as partner_count,
    j.partners,
    case when r.country_code is not null then coalesce(j.local_partner_count, 0) end as local_partner_count,
    case when j.partner_count > 0 then round(j.local_partner_count / j.partner_count, 4) end as local_partner_share,
    us.severity,
    ss.severity as sector_severity,
    us.severity_basis,
    c.need_measure,
    j.population_group,
    case when j.sector_code = 'Intersectoral' then ur.refugees_in_need end as refugees_in_need,
    case
        when j.population_group = 'refugees'
            then 'Refugees in need (JIAF Refugee column): a population group the Final PiN excludes; kept as its '
                 || 'own figure here and never added to the Intersectoral row'
        when j.sector_code = 'Intersectoral' and ur.refugees_in_need is not null and j.people_in_need is not null
            then 'Final PiN ' || j.people_in_need || ' excludes refugees: ' || ur.refugees_in_need
                 || ' refugees in need are reported apart (JIAF Refugee column, row sector Multi); with them '
                 || (j.people_in_need + ur.refugees_in_need)
    end as population_group_note,
    case when j.partner_count > 0 then round(j.people_in_need / j.partner_count, 1) end as pin_per_partner,
    case when j.people_in_need > 0 then round(j.people_reached / j.people_in_need, 4) end as reached_share,
    j.reach_source,
    c.presence_period_start,
    c.presence_period_end,
    c.need_period_start,
    c.need_period_end,
    c.reference_gap_days,
    c.periods_far_apart,
    c.need_source,
    c.need_source_key,
    c.need_year,
    c.presence_source_keys,
    r.country_code is not null as presence_reported,
    concat_ws(', ',
        case when j.has_need then c.need_dataset_id end,
        case when j.has_presence then c.presence_dataset_ids end
    ) as source_dataset_ids
from joined as j
join choice as c
    on c.country_code = j.country_code
left join units as u1
    on u1.country_code = j.country_code and u1.admin_level = 1 and u1.pcode = j.admin1_code
left join units as u2
    on u2.country_code = j.country_code and u2.admin_level = 2 and u2.pcode = j.admin2_code
left join sectors as s
    on s.sector_code = j.sector_code
left join unit_refugees as ur
    on ur.country_code = j.country_code
   and ur.admin1_pcode = j.admin1_code
   and ur.admin2_pcode is not distinct from j.admin2_code
left join {{ ref('int_coverage__severity') }} as us
    on us.country_code = j.country_code
   and us.admin1_code = j.admin1_code
   and us.admin2_code is not distinct from j.admin2_code
   and us.sector_code = 'Intersectoral'
left join {{ ref('int_coverage__severity') }} as ss
    on ss.country_code = j.country_code
   and ss.admin1_code = j.admin1_code
   and ss.admin2_code is not distinct from j.admin2_code
   and ss.sector_code = j.sector_code
left join (
    select country_code, sector_code from reported_sectors
    union
    select distinct country_code, 'Intersectoral' from reported_sectors
) as r
    on r.country_code = j.country_code
   and r.sector_code = j.sector_code
