-- Gaps: the coverage rows that show a gap, one row per coverage row × gap_type.
-- Only units with people_in_need >= var('gap_min_people_in_need') are considered, and only cells whose
-- presence is reported (a cell no 3W/4W covers has unknown partners, never a gap: coverage.presence_reported).
--   * no_presence    need, and no partner in that unit and sector (partner_count = 0). The `Intersectoral` row
--                    of a unit with no partner in ANY sector is one of these. A unit with sector needs, no
--                    partner at all and no intersectoral figure gets an `Intersectoral` row whose people in need
--                    is its largest sector PIN (a floor, never a sum of sectors; pin_basis = 'max_sector').
--   * thin_presence  partners present, but pin_per_partner is above var('gap_thin_presence_factor') × the
--                    median pin_per_partner of the same country and sector (over its units with partners).
--   * low_reach      people_reached / people_in_need below var('gap_low_reach_share'), where reach is known.
--   * crowded        at least var('gap_crowded_min_partners') partners, and partners per person in need above
--                    var('gap_crowded_factor') × the country-sector median (pin_per_partner below the median
--                    divided by the factor): possible duplication.
-- severity, in the gap type's own unit (severity_unit):
--   no_presence: people_in_need; thin_presence: people_in_need - partner_count × the median pin_per_partner
--   (the need above a typical partner load); low_reach: people_in_need - people_reached (people);
--   crowded: partner_count - people_in_need / the median pin_per_partner (partners above a typical load).
-- rank_in_country: 1 = the most severe gap of its type in the country (each type ranked on its own scale).
-- severity_phase: the JIAF phase of the sector in the unit, else the unit's Final Severity (coverage).
-- priority_score = people left uncovered × var('gap_severity_weights')[phase] (weight 1 when the phase is
--   unknown), for the people gaps; priority_rank orders them per country. crowded gaps (too many partners, not
--   unmet need) get no priority.
-- possibly_underreported: the country's 3W looks incomplete for the sector (int_coverage__reporting).
{%- set weights = var('gap_severity_weights') %}
with coverage as (
    select *, 'reported' as pin_basis
    from {{ ref('coverage') }}
    where people_in_need >= {{ var('gap_min_people_in_need') }}
      and presence_reported
),

no_partner_units as (
    -- units with sector needs but no partner in any reported sector and no intersectoral need row
    select
        c.country_code, c.admin_level, c.admin1_code, any_value(c.admin1_name) as admin1_name,
        c.admin2_code, any_value(c.admin2_name) as admin2_name,
        max(c.people_in_need) as people_in_need,
        max(c.severity) as severity_phase
    from {{ ref('coverage') }} as c
    where c.presence_reported
    group by c.country_code, c.admin_level, c.admin1_code, c.admin2_code
    having sum(c.partner_count) = 0
       and count(*) filter (where c.sector_code = 'Intersectoral' and c.people_in_need is not null) = 0
       and max(c.people_in_need) >= {{ var('gap_min_people_in_need') }}
),

medians as (
    select country_code, sector_code, median(pin_per_partner) as median_pin_per_partner
    from coverage
    where partner_count > 0 and pin_per_partner is not null
    group by all
),

rows_with_median as (
    select
        c.country_code, c.admin_level, c.admin1_code, c.admin1_name, c.admin2_code, c.admin2_name,
        c.sector_code, c.sector_name, c.people_in_need, c.people_reached, c.partner_count, c.pin_per_partner,
        c.reached_share, m.median_pin_per_partner, c.pin_basis,
        coalesce(c.sector_severity, c.severity) as severity_phase,
        c.presence_period_start, c.presence_period_end, c.need_period_start, c.need_period_end,
        c.periods_far_apart, c.need_source, c.source_dataset_ids
    from coverage as c
    left join medians as m using (country_code, sector_code)
),

candidates as (
    select *, 'no_presence' as gap_type, people_in_need as severity
    from rows_with_median
    where partner_count = 0

    union all

    select *, 'thin_presence', cast(round(people_in_need - partner_count * median_pin_per_partner) as bigint)
    from rows_with_median
    where partner_count > 0
      and pin_per_partner > {{ var('gap_thin_presence_factor') }} * median_pin_per_partner

    union all

    select *, 'low_reach', people_in_need - people_reached
    from rows_with_median
    where people_reached is not null
      and reached_share < {{ var('gap_low_reach_share') }}

    union all

    select *, 'crowded', cast(round(partner_count - people_in_need / median_pin_per_partner) as bigint)
    from rows_with_median
    where partner_count >= {{ var('gap_crowded_min_partners') }}
      and pin_per_partner * {{ var('gap_crowded_factor') }} < median_pin_per_partner

    union all

    select
        u.country_code, u.admin_level, u.admin1_code, u.admin1_name, u.admin2_code, u.admin2_name,
        'Intersectoral', coalesce(s.sector_name, 'Intersectoral'), u.people_in_need, cast(null as bigint), 0,
        cast(null as double), cast(null as double), cast(null as double), 'max_sector', u.severity_phase,
        k.presence_period_start, k.presence_period_end, k.need_period_start, k.need_period_end,
        k.periods_far_apart, k.need_source, k.need_dataset_id,
        'no_presence',
        u.people_in_need
    from no_partner_units as u
    join {{ ref('int_coverage__sources') }} as k on k.country_code = u.country_code
    left join {{ ref('sectors') }} as s on s.sector_code = 'Intersectoral'
),

scored as (
    select
        g.*,
        case when g.gap_type = 'crowded' then 'partners' else 'people' end as severity_unit,
        case
            when g.gap_type = 'crowded' then null
            else round(g.severity * case cast(round(g.severity_phase) as integer)
                {%- for phase, weight in weights.items() %}
                when {{ phase }} then {{ weight }}
                {%- endfor %}
                else 1.0
            end)
        end as priority_score,
        coalesce(r.possibly_underreported, false) as possibly_underreported,
        r.underreported_reason
    from candidates as g
    left join {{ ref('int_coverage__reporting') }} as r
        on r.country_code = g.country_code
       and r.sector_code = g.sector_code
)

select
    country_code,
    admin_level,
    admin1_code,
    admin1_name,
    admin2_code,
    admin2_name,
    sector_code,
    sector_name,
    gap_type,
    cast(severity as bigint) as severity,
    row_number() over (
        partition by country_code, gap_type
        order by severity desc nulls last, admin1_code, admin2_code nulls first, sector_code
    ) as rank_in_country,
    severity_unit,
    severity_phase,
    cast(priority_score as bigint) as priority_score,
    case when priority_score is not null then row_number() over (
        partition by country_code, priority_score is null
        order by priority_score desc, severity desc, admin1_code, admin2_code nulls first, sector_code, gap_type
    ) end as priority_rank,
    possibly_underreported,
    underreported_reason,
    people_in_need,
    pin_basis,
    people_reached,
    partner_count,
    pin_per_partner,
    median_pin_per_partner,
    reached_share,
    presence_period_start,
    presence_period_end,
    need_period_start,
    need_period_end,
    periods_far_apart,
    need_source,
    source_dataset_ids
from scored
