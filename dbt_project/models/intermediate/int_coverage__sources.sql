-- Which needs source and which presence resources the coverage of each country uses, at which admin level.
-- One row per country that has subnational needs or usable presence.
-- Rules (the choice is per country, so that a country's figures never mix sources):
--   * Needs source: among the needs resources with subnational rows for the country (admin level >= 1), the
--     LATEST reference year wins (JIAF 2025 over HNO 2024); ties -> the one with admin2 rows, then the
--     later period end, then the source key. National-only sources (HNO rows with no admin) are not eligible.
--   * Presence: the 3W/4W resources whose reference period is CLOSEST to the chosen needs period (gap in days,
--     0 when the periods overlap); every resource at that smallest gap is used (consecutive 4W rounds of the
--     same year together). A country without a needs source uses its latest presence resource.
--   * Admin level: 2 when both the needs source has admin2 rows and the presence resources resolve admin2
--     (a presence resource supports admin2 when at least half of its usable rows resolve to an admin2 unit:
--     Somalia, Ethiopia, Afghanistan, South Sudan); otherwise 1 (Chad: its 3W is admin1-only). A country
--     with one side only takes that side's finest level.
--   * reference_gap_days: days between the presence period and the needs period (0 when they overlap);
--     periods_far_apart when that is more than var('reference_gap_days') (Afghanistan: 3W 2021, needs 2025).
with need_candidates as (
    select
        country_code,
        need_source,
        source_key,
        dataset_id,
        reference_year,
        need_period_start,
        need_period_end,
        need_measure,
        bool_or(admin_level = 1) as has_admin1,
        bool_or(admin_level = 2) as has_admin2
    from {{ ref('int_needs') }}
    where admin_level >= 1
    group by all
),

chosen_need as (
    select *
    from need_candidates
    qualify row_number() over (
        partition by country_code
        order by reference_year desc nulls last, has_admin2 desc, need_period_end desc nulls last, source_key
    ) = 1
),

presence_candidates as (
    select
        country_code,
        source_key,
        dataset_id,
        min(reference_period_start) as period_start,
        max(reference_period_end) as period_end,
        avg(case when admin2_pcode is not null then 1.0 else 0.0 end) >= 0.5 as has_admin2
    from {{ ref('int_presence') }}
    where is_usable
    group by all
),

presence_ranked as (
    select
        p.*,
        n.source_key as need_source_key,
        case
            when n.source_key is null or p.period_start is null or n.need_period_start is null then null
            when p.period_end < n.need_period_start then date_diff('day', p.period_end, n.need_period_start)
            when n.need_period_end < p.period_start then date_diff('day', n.need_period_end, p.period_start)
            else 0
        end as gap_days
    from presence_candidates as p
    left join chosen_need as n
        on n.country_code = p.country_code
),

chosen_presence as (
    select *
    from presence_ranked
    qualify case
        when need_source_key is null
            then dense_rank() over (partition by country_code order by period_end desc nulls last, source_key) = 1
        else dense_rank() over (partition by country_code order by gap_days nulls last) = 1
    end
),

presence_per_country as (
    select
        country_code,
        string_agg(source_key, ', ' order by source_key) as presence_source_keys,
        string_agg(distinct dataset_id, ', ' order by dataset_id) as presence_dataset_ids,
        min(period_start) as presence_period_start,
        max(period_end) as presence_period_end,
        bool_or(has_admin2) as presence_has_admin2
    from chosen_presence
    group by 1
),

countries as (
    select country_code from chosen_need
    union
    select country_code from presence_per_country
),

joined as (
    select
        c.country_code,
        n.need_source,
        n.source_key as need_source_key,
        n.dataset_id as need_dataset_id,
        n.reference_year as need_year,
        n.need_period_start,
        n.need_period_end,
        n.need_measure,
        n.has_admin1 as need_has_admin1,
        n.has_admin2 as need_has_admin2,
        p.presence_source_keys,
        p.presence_dataset_ids,
        p.presence_period_start,
        p.presence_period_end,
        p.presence_has_admin2
    from countries as c
    left join chosen_need as n on n.country_code = c.country_code
    left join presence_per_country as p on p.country_code = c.country_code
)

select
    *,
    case
        when need_source_key is null then case when presence_has_admin2 then 2 else 1 end
        when presence_source_keys is null then case when need_has_admin2 then 2 else 1 end
        when need_has_admin2 and presence_has_admin2 then 2
        else 1
    end as admin_level,
    case
        when presence_period_start is null or need_period_start is null then null
        when presence_period_end < need_period_start then date_diff('day', presence_period_end, need_period_start)
        when need_period_end < presence_period_start then date_diff('day', need_period_end, presence_period_start)
        else 0
    end as reference_gap_days,
    coalesce(
        case
            when presence_period_end < need_period_start
                then date_diff('day', presence_period_end, need_period_start) > {{ var('reference_gap_days') }}
            when need_period_end < presence_period_start
                then date_diff('day', need_period_end, presence_period_start) > {{ var('reference_gap_days') }}
            else false
        end,
        false
    ) as periods_far_apart
from joined
