-- Every FTS flow id with a destination in the configured countries (stg_fts__flows; every flow when no country
-- is configured) is exactly one row of funding_flows, and no other flow is. Returns each offending flow id:
-- whether FTS has it, and its rows in the mart.
with fts as (
    select distinct flow_id
    from {{ ref('stg_fts__flows') }}
    where flow_id is not null
    {%- set countries = configured_countries() %}
    {%- if countries %}
      and list_has_any(list_transform(string_split(coalesce(dest_locations, ''), ','), lambda x: trim(x)),
                       [{% for c in countries %}'{{ c }}'{{ ', ' if not loop.last }}{% endfor %}])
    {%- endif %}
), mart as (
    select flow_id, count(*) as rows_in_mart
    from {{ ref('funding_flows') }}
    group by flow_id
)
select coalesce(f.flow_id, m.flow_id) as flow_id, f.flow_id is not null as in_fts,
       coalesce(m.rows_in_mart, 0) as rows_in_mart
from fts f
full outer join mart m on m.flow_id = f.flow_id
where f.flow_id is null or m.flow_id is null or m.rows_in_mart <> 1
