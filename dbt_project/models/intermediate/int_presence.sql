-- 3W/4W presence, normalised: one row per raw presence row (usable or not), with canonical admin p-codes,
-- sector code and a deduplicated organisation.
-- Rules:
--   * Admin units come from int_admin_lookup (exact, case fixed, length converted `TD19` -> `TCD19`,
--     name matched, admin1 from the admin2 parent). When a row gives an admin3 p-code (Ethiopia's 4W:
--     WoredaPcod `ET010211`), admin2 is its parent: the code cut to the country's admin2 p-code length
--     (country + admin1 + admin2 lengths of the p-code lengths file, first alternative) and found among the COD
--     admin2 units; admin1 is that unit's parent (method `from_admin3`). Otherwise the lookup's result stands.
--   * Sector: the config's sector_aliases (the country's, then global), the sector_aliases seed and the
--     sectors seed's codes and names, on sector_key(sector) (macros/sector_key.sql). Unknown -> the row is excluded from coverage
--     (`unknown_sector`) but kept here and reported in quality_issues.
--   * Organisation: "Name (ACR)" is split into name and acronym (and "ACR (Name)" the other way round) when
--     exactly one side looks like an acronym (no run of 3+ lower-case letters), in the name column and in the
--     acronym column. Acronym = the acronym column, else the one split from the name. Then the org_aliases
--     seed gives the canonical acronym and name (matched on the name as given, then the split name, then the
--     acronym; a country-specific alias before a global one); an alias "Name (ACR)" whose acronym is ACR also
--     answers to ACR alone.
--     org_key = upper-cased normalised acronym when there is one, else the normalised name.
--     No name and no acronym, or a placeholder (`Not in the list`, `Other`, `N/A`, ...) -> excluded
--     (`no_organisation`).
--   * Organisation type: org_types seed on normalise_key(org_type), else the type the org_aliases seed gives;
--     a type given by the source but not in the seed is reported (the row stays).
--   * An exact duplicate (every cell of the source row equal to an earlier row of the same file, row_hash) is
--     excluded (`duplicate_row`) so it never counts twice; int_quality_issues__presence reports one row per file.
--   * A row whose admin1 cannot be resolved is excluded (`admin_unmatched`). A row resolved at admin1 only is
--     usable for admin1 coverage; coverage decides per country whether admin2 is needed.
{#- The first row of the same file with the very same cells (row_hash: every cell, mapped or not); null for a row
    without a copy. -#}
{%- set first_copy = "d.first_row" %}
{%- set placeholders = "'not in the list', 'other', 'others', 'autre', 'autres', 'n/a', 'na', 'none', 'unknown', 'inconnu', 'tbc', 'tbd', '-', '0'" %}
-- source_rows is read whole once (by `admin`, inlined); the lookups read narrow_rows, the few columns they need,
-- kept once. Left to itself DuckDB kept every column of every row for the six readers (x5000: 6 GB spilled).
with source_rows as not materialized (
    select *
    from {{ ref('stg_hdx__presence') }}
    where {{ in_configured_countries('country_code') }}
),

narrow_rows as materialized (
    select _source_key, row_hash, _row_number, country_code, admin3_code, sector, org_type, org_name, org_acronym
    from source_rows
),

-- Rows whose every cell repeats in the same file: an aggregate over the few repeated hashes, joined back. A
-- window over every (wide) row sorted 9M rows through the spill folder (x5000: 96 s -> 61 s for this model).
duplicate_firsts as (
    select _source_key as dup_source_key, row_hash as dup_row_hash, min(_row_number) as first_row
    from narrow_rows
    where row_hash is not null
    group by all
    having count(*) > 1
),

lookup as (
    {{ admin_lookup_for('presence') }}
),

units as (
    select country_code, admin_level, pcode, name, parent_pcode
    from {{ ref('int_admin_units') }}
),

admin2_lengths as (
    select
        country_code,
        try_cast(split_part(country_length, '|', 1) as integer)
          + try_cast(split_part(admin1_length, '|', 1) as integer)
          + try_cast(split_part(admin2_length, '|', 1) as integer) as admin2_code_length
    from {{ ref('stg_cod__pcode_lengths') }}
    qualify row_number() over (partition by country_code order by _row_number) = 1
),

admin3_parents as (
    select distinct
        r.country_code,
        r.admin3_code,
        u.pcode as admin2_pcode,
        u.parent_pcode as admin1_pcode
    from narrow_rows as r
    join admin2_lengths as n
        on n.country_code = r.country_code
    join units as u
        on u.country_code = r.country_code
       and u.admin_level = 2
       and u.pcode = upper(left(regexp_replace(r.admin3_code, '\s', '', 'g'), n.admin2_code_length))
    where r.admin3_code is not null
),

admin as (
    select
        r.*,
        {{ reported_admin_level('r', names=true) }} as reported_admin_level,
        coalesce(p.admin1_pcode, l.admin1_pcode) as admin1_pcode,
        coalesce(p.admin2_pcode, l.admin2_pcode) as admin2_pcode,
        case when p.admin2_pcode is not null then 'from_admin3' else l.admin1_method end as admin1_method,
        case when p.admin2_pcode is not null then 'from_admin3' else l.admin2_method end as admin2_method,
        case
            when p.admin2_pcode is null then l.admin1_issue
            when l.admin1_pcode is not null and l.admin1_pcode <> p.admin1_pcode
                then 'Admin1 ' || coalesce(r.admin1_code, r.admin1_name) || ' resolves to ' || l.admin1_pcode
                     || ' but the admin3 p-code ' || r.admin3_code || ' lies in ' || p.admin1_pcode || '; used '
                     || p.admin1_pcode
        end as admin1_issue,
        case
            when p.admin2_pcode is null and r.admin3_code is not null
                then concat_ws('; ', 'Admin3 p-code ' || r.admin3_code || ' has no COD admin2 parent', l.admin2_issue)
            when p.admin2_pcode is null then l.admin2_issue
            when l.admin2_pcode is not null and l.admin2_pcode <> p.admin2_pcode
                then 'Admin2 ' || coalesce(r.admin2_code, r.admin2_name) || ' resolves to ' || l.admin2_pcode
                     || ' but the admin3 p-code ' || r.admin3_code || ' lies in ' || p.admin2_pcode || '; used '
                     || p.admin2_pcode
        end as admin2_issue
    from source_rows as r
    left join lookup as l
        on l.lookup_key = r.admin_lookup_key
    left join admin3_parents as p
        on p.country_code = r.country_code
       and p.admin3_code = r.admin3_code
),

sector_aliases as (
    {{ sector_alias_keys() }}
),

-- Sectors and organisation types are resolved once per distinct value, not once per row (files hold millions).
sector_values as (
    select v.country_code, v.sector, {{ sector_code_of('s') }} as sector_code
    from (select distinct country_code, sector from narrow_rows) as v
    {{ sector_alias_join('sector_aliases', 's', 'v.sector', 'v.country_code') }}
),

org_type_aliases as (
    select {{ normalise_key('alias') }} as alias_key, min(org_type_code) as org_type_code
    from {{ ref('org_types') }}
    group by 1
),

org_type_values as (
    select v.org_type, t.org_type_code
    from (select distinct org_type from narrow_rows) as v
    left join org_type_aliases as t
        on t.alias_key = {{ normalise_key('v.org_type') }}
),

org_type_names as (
    select org_type_code, min(org_type_name) as org_type_name
    from {{ ref('org_types') }}
    group by 1
),

-- Organisations are resolved once per distinct (country, name, acronym) as given.
org_inputs as (
    select distinct country_code, org_name, org_acronym
    from narrow_rows
),

-- "Lhs (Rhs)": which side is the acronym? (an acronym has no run of 3+ lower-case letters)
org_split as (
    select
        *,
        regexp_extract(org_name, '^(.*\S)\s*\(([^()]+)\)\s*$', ['lhs', 'rhs']) as name_parts,
        regexp_extract(org_acronym, '^(.*\S)\s*\(([^()]+)\)\s*$', ['lhs', 'rhs']) as acronym_parts
    from org_inputs
),

org_parsed as (
    select
        *,
        {{ org_part('name_parts', 'name', otherwise='org_name') }} as parsed_name,
        {{ org_part('name_parts', 'acronym') }} as acronym_from_name,
        {{ org_part('acronym_parts', 'acronym', otherwise='org_acronym') }} as parsed_acronym,
        {{ org_part('acronym_parts', 'name') }} as name_from_acronym
    from org_split
),

-- Values that stand for "no organisation" are treated as missing.
orgs_split as (
    select
        country_code,
        org_name,
        org_acronym,
        case when {{ normalise_key('coalesce(parsed_acronym, acronym_from_name)') }} not in ({{ placeholders }})
             then nullif(trim(coalesce(parsed_acronym, acronym_from_name)), '') end as split_acronym,
        case when {{ normalise_key('coalesce(parsed_name, name_from_acronym)') }} not in ({{ placeholders }})
             then nullif(trim(coalesce(parsed_name, name_from_acronym)), '') end as split_name
    from org_parsed
),

-- The org_aliases seed, plus the acronym of an alias written "name (acronym)" with that very acronym
-- ("norwegian refugee council (nrc)", NRC -> "nrc"), unless spelled already or shared by two organisations.
org_alias_keys as (
    select alias, country_code, org_acronym, org_name, org_type_code
    from {{ ref('org_aliases') }}
    union all
    select acronym, country_code, min(org_acronym), min(org_name), min(org_type_code)
    from (
        select *, regexp_extract(alias, '\(([^()]+)\)\s*$', 1) as acronym
        from {{ ref('org_aliases') }}
    ) as a
    where acronym <> ''
      and acronym = {{ normalise_key('org_acronym') }}
      and acronym not in (select alias from {{ ref('org_aliases') }})
    group by country_code, acronym
    having count(distinct org_name) = 1
),

-- org_aliases seed: the name as given, then the split name, then the acronym; a country-specific alias
-- wins over a global one (country_code null) for the same spelling.
-- Each organisation's three keys as rows, so that the aliases are found by an equality (hash) join: an IN-list
-- join condition compared every organisation with every alias (minutes at millions of 4W rows).
org_keys as (
    select o.country_code, o.org_name, o.org_acronym, k.alias_key, k.match_order
    from orgs_split as o,
        unnest([
            {'alias_key': {{ normalise_key('o.org_name') }}, 'match_order': 1},
            {'alias_key': {{ normalise_key('o.split_name') }}, 'match_order': 2},
            {'alias_key': {{ normalise_key('o.split_acronym') }}, 'match_order': 3}
        ]) as u(k)
    where k.alias_key is not null
),

org_alias_candidates as (
    select
        o.country_code, o.org_name, o.org_acronym,
        a.org_acronym as alias_acronym, a.org_name as alias_name, a.org_type_code as alias_org_type_code,
        o.match_order,
        a.country_code is null as is_global
    from org_keys as o
    join org_alias_keys as a
        on a.alias = o.alias_key
       and (a.country_code = o.country_code or a.country_code is null)
),

org_alias_best as (
    select *
    from org_alias_candidates
    qualify row_number() over (
        partition by country_code, org_name, org_acronym
        order by match_order, is_global, alias_acronym, alias_name
    ) = 1
),

orgs as (
    select
        o.country_code,
        o.org_name,
        o.org_acronym,
        case when b.country_code is not null or b.is_global then b.alias_acronym else o.split_acronym end as canonical_acronym,
        case when b.country_code is not null or b.is_global then b.alias_name else o.split_name end as canonical_name,
        b.alias_org_type_code,
        b.match_order is not null as org_alias_matched
    from orgs_split as o
    left join org_alias_best as b
        on b.country_code is not distinct from o.country_code
       and b.org_name is not distinct from o.org_name
       and b.org_acronym is not distinct from o.org_acronym
),

normalised as (
    select
        a.*,
        s.sector_code,
        t.org_type_code as raw_org_type_code,
        coalesce(t.org_type_code, o.alias_org_type_code) as org_type_code,
        o.canonical_acronym,
        o.canonical_name,
        o.org_alias_matched
    from admin as a
    left join sector_values as s
        on s.country_code is not distinct from a.country_code
       and s.sector is not distinct from a.sector
    left join org_type_values as t
        on t.org_type is not distinct from a.org_type
    left join orgs as o
        on o.country_code is not distinct from a.country_code
       and o.org_name is not distinct from a.org_name
       and o.org_acronym is not distinct from a.org_acronym
)

select
    _source_key as source_key,
    _dataset_id as dataset_id,
    _resource_id as resource_id,
    _source_file as source_file,
    _row_number as row_number,
    country_code,
    reference_period_start,
    reference_period_end,
    admin1_code,
    admin1_name,
    admin2_code,
    admin2_name,
    admin3_code,
    admin3_name,
    reported_admin_level,
    admin_lookup_key,
    admin1_pcode,
    admin2_pcode,
    admin1_method,
    admin2_method,
    admin1_issue,
    admin2_issue,
    sector as sector_raw,
    sector_code,
    org_name as org_name_raw,
    org_acronym as org_acronym_raw,
    canonical_name as org_name,
    canonical_acronym as org_acronym,
    coalesce(upper({{ normalise_key('canonical_acronym') }}), {{ normalise_key('canonical_name') }}) as org_key,
    org_alias_matched,
    org_type as org_type_raw,
    raw_org_type_code is not null as org_type_matched,
    n.org_type_code,
    tn.org_type_name,
    status,
    people_targeted_raw,
    people_targeted,
    people_reached_raw,
    people_reached,
    _number_format as number_format,
    case
        when admin1_pcode is null then 'admin_unmatched'
        when sector_code is null then 'unknown_sector'
        when canonical_name is null and canonical_acronym is null then 'no_organisation'
        when {{ first_copy }} < _row_number then 'duplicate_row'
    end is null as is_usable,
    case
        when admin1_pcode is null then 'admin_unmatched'
        when sector_code is null then 'unknown_sector'
        when canonical_name is null and canonical_acronym is null then 'no_organisation'
        when {{ first_copy }} < _row_number then 'duplicate_row'
    end as exclusion_reason,
    row_hash,
    case when {{ first_copy }} < _row_number then {{ first_copy }} end as duplicate_of_row
from normalised as n
left join duplicate_firsts as d
    on d.dup_source_key = n._source_key
   and d.dup_row_hash = n.row_hash
left join org_type_names as tn
    on tn.org_type_code = n.org_type_code
