-- JIAF severity phases at the admin level coverage uses, per country × admin unit × sector (Intersectoral =
-- the unit's Final Severity).
-- Rules:
--   * A phase describes one cycle: only a severity resource of the same year as the country's chosen needs
--     source is used (JIAF 2025 severity with JIAF 2025 PiN; nothing for Ethiopia's 2022 drought needs). With
--     several such resources, the last source key wins.
--   * Coverage at admin2: the unit's own row; a unit reported only at admin3 takes the highest phase of its
--     admin3 units (`max_of_admin3`).
--   * Coverage at admin1 (Chad): the admin1 row when the sheet has one, else the highest phase of its admin2
--     (or admin3) units (`max_of_admin2`): a phase is an ordinal class, never summed or averaged, and the
--     worst area is what a coordinator looks at first.
with choice as (
    select country_code, admin_level as coverage_level, need_year
    from {{ ref('int_coverage__sources') }}
),

phases as (
    select s.*, c.coverage_level
    from {{ ref('int_needs__severity') }} as s
    join choice as c
        on c.country_code = s.country_code
       and c.need_year = s.reference_year
    where s.is_usable
    qualify dense_rank() over (partition by s.country_code order by s.source_key desc) = 1
),

own as (
    select country_code, source_key, dataset_id, admin1_pcode, admin2_pcode, sector_code,
           max(severity) as severity, 'reported' as severity_basis
    from phases
    where reported_admin_level = coverage_level
    group by all
),

from_finer as (
    select country_code, source_key, dataset_id, admin1_pcode,
           case when coverage_level = 2 then admin2_pcode end as admin2_pcode,
           sector_code,
           max(severity) as severity,
           case when coverage_level = 2 then 'max_of_admin3' else 'max_of_admin2' end as severity_basis
    from phases
    where reported_admin_level > coverage_level
    group by all
)

select country_code, admin1_pcode as admin1_code, admin2_pcode as admin2_code, sector_code, severity,
       severity_basis, source_key, dataset_id
from own
union all
select f.country_code, f.admin1_pcode, f.admin2_pcode, f.sector_code, f.severity, f.severity_basis,
       f.source_key, f.dataset_id
from from_finer as f
where not exists (
    select 1 from own as o
    where o.country_code = f.country_code
      and o.admin1_pcode = f.admin1_pcode
      and o.admin2_pcode is not distinct from f.admin2_pcode
      and o.sector_code = f.sector_code
)
