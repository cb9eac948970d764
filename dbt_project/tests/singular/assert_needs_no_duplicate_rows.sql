-- No needs row is repeated at its source's grain (HNO: one total per unit, cluster, description and category;
-- JIAF: one row per unit and population group; drought: one woreda and cluster per file): the same key with
-- different figures always fails; identical copies fail too when the config's needs_duplicates is `block`
-- (with `drop_exact` they are dropped and listed in quality_issues as warnings). Returns the repeated rows.
{%- for model in ['int_needs__hno', 'int_needs__jiaf', 'int_needs__drought'] %}
select source_key, source_file, row_number, country_code, sector_code, figure_raw, exclusion_reason
from {{ ref(model) }}
where exclusion_reason = 'duplicate_conflict'
   or (exclusion_reason = 'duplicate_row' and '{{ var("needs_duplicates", "drop_exact") }}' = 'block')
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
