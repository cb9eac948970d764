-- The partners of each country's coverage: one row per country × organisation (org_key) present in the 3W/4W
-- resources coverage uses (int_coverage__sources), with one organisation type and whether it is local.
-- Rules:
--   * Type: the type the organisation's usable rows give most often (ties: the lower code); rows may disagree
--     (ERCS is National NGO in some rows, Red Cross / Red Crescent in others). None -> type unknown.
--   * Local: the local_partners seed, the most specific row first (country and org_key, then country, then
--     the type alone); a type with no row, or an unknown type, is not local.
with choice as (
    select country_code, presence_source_keys
    from {{ ref('int_coverage__sources') }}
    where presence_source_keys is not null
),

rows_used as (
    select p.country_code, p.org_key, coalesce(p.org_acronym, p.org_name) as org_label, p.org_type_code,
           p.org_type_name
    from {{ ref('int_presence') }} as p
    join choice as c
        on c.country_code = p.country_code
       and list_contains(string_split(c.presence_source_keys, ', '), p.source_key)
    where p.is_usable
),

typed as (
    select country_code, org_key, org_type_code, any_value(org_type_name) as org_type_name, count(*) as n
    from rows_used
    where org_type_code is not null
    group by all
),

org_type as (
    select *
    from typed
    qualify row_number() over (partition by country_code, org_key order by n desc, org_type_code) = 1
),

orgs as (
    select country_code, org_key, min(org_label) as org_label
    from rows_used
    group by all
),

local_rule as (
    select o.country_code, o.org_key, l.is_local, l.note,
           row_number() over (
               partition by o.country_code, o.org_key
               order by l.org_key is null, l.country_code is null
           ) as specificity
    from orgs as o
    join org_type as t using (country_code, org_key)
    join {{ ref('local_partners') }} as l
        on l.org_type_code = t.org_type_code
       and (l.country_code is null or l.country_code = o.country_code)
       and (l.org_key is null or l.org_key = o.org_key)
)

select
    o.country_code,
    o.org_key,
    o.org_label,
    t.org_type_code,
    t.org_type_name,
    coalesce(r.is_local, false) as is_local,
    coalesce(r.note, case when t.org_type_code is null then 'type unknown: not counted as local'
                          else 'type not local' end) as local_basis
from orgs as o
left join org_type as t using (country_code, org_key)
left join local_rule as r
    on r.country_code = o.country_code and r.org_key = o.org_key and r.specificity = 1
