-- Issue 9 "no data versus no partners": a cell no presence source covers has partner_count NULL (never 0),
-- a reported cell has a count, and gaps never lists an unreported cell as no_presence. Returns offending rows.
select 'coverage' as model, country_code, admin1_code, admin2_code, sector_code
from {{ ref('coverage') }}
where (presence_reported and partner_count is null)
   or (not presence_reported and partner_count is not null)
union all
select 'gaps', g.country_code, g.admin1_code, g.admin2_code, g.sector_code
from {{ ref('gaps') }} as g
left join {{ ref('coverage') }} as c
    on c.country_code = g.country_code
   and c.admin1_code = g.admin1_code
   and c.admin2_code is not distinct from g.admin2_code
   and c.sector_code = g.sector_code
where g.gap_type = 'no_presence'
  and (g.partner_count is distinct from 0 or c.presence_reported is false)
