-- Partners by organisation type: what share of each cluster's partners are local or national?
-- One row per country × sector × organisation type, over the same presence rows as coverage
-- (int_coverage__presence: the 3W/4W resources coverage uses, rows placed at its admin level).
--   * partner_count: distinct organisations of the type with presence in the sector; an organisation has ONE
--     type (the one its rows give most often), so the types of a sector add up to its partners.
--   * Intersectoral: the organisations present in any sector (as in coverage).
--   * admin_units_covered: distinct admin units (coverage's level) where organisations of the type work in the
--     sector. share_of_partners = partner_count / all partners of the country and sector.
--   * is_local splits a type whose members differ (Red Cross / Red Crescent: the country's own national society
--     is local, the ICRC, the IFRC and foreign societies are not), so the key is country × sector × type × is_local.
--   * An organisation with no known type is counted under org_type_code 'unknown', never dropped.
with rows_used as (
    select country_code, admin1_pcode, admin2_pcode, sector_code, org_key,
           coalesce(org_type_code, 'unknown') as org_type_code,
           coalesce(org_type_name, 'Unknown (type not given or not recognised)') as org_type_name,
           is_local, source_key, dataset_id
    from {{ ref('int_coverage__presence') }}
    where at_coverage_level
),

by_sector as (
    select * from rows_used where sector_code <> 'Intersectoral'
    union all
    select * replace ('Intersectoral' as sector_code) from rows_used
),

counts as (
    select
        country_code, sector_code, org_type_code, is_local,
        any_value(org_type_name) as org_type_name,
        count(distinct org_key) as partner_count,
        count(distinct concat_ws('|', admin1_pcode, admin2_pcode)) as admin_units_covered
    from by_sector
    group by all
)

select
    k.country_code,
    k.sector_code,
    coalesce(s.sector_name, k.sector_code) as sector_name,
    k.org_type_code,
    k.org_type_name,
    k.is_local,
    k.partner_count,
    k.admin_units_covered,
    round(k.partner_count / sum(k.partner_count) over (partition by k.country_code, k.sector_code), 4)
        as share_of_partners,
    c.admin_level,
    c.presence_period_start,
    c.presence_period_end,
    c.presence_source_keys,
    c.presence_dataset_ids as source_dataset_ids
from counts as k
join {{ ref('int_coverage__sources') }} as c
    on c.country_code = k.country_code
left join {{ ref('sectors') }} as s
    on s.sector_code = k.sector_code
