{# Rules shared by the int_needs__<source> models (HNO, JIAF, drought), which int_needs unions by name. #}

{# The lineage and admin columns every one of them ends with. #}
{% macro need_row_admin_columns() -%}
    {{ need_row_lineage_columns() }},
    country_code,
    reported_admin_level,
    {{ reported_admin_pcodes() }},
    admin_lookup_key,
    admin1_method,
    admin2_method,
    admin1_issue,
    admin2_issue
{%- endmacro %}

{# A needs row whose reported admin level did not resolve to a COD unit: excluded as admin_unmatched. #}
{% macro need_admin_unmatched() -%}
    (reported_admin_level >= 2 and admin2_pcode is null) or (reported_admin_level >= 1 and admin1_pcode is null)
{%- endmacro %}

{# The raw row a need (or severity) row comes from. #}
{% macro need_row_lineage_columns() -%}
    _source_key as source_key,
    _dataset_id as dataset_id,
    _source_file as source_file,
    _row_number as row_number
{%- endmacro %}

{# Admin p-codes down to the reported level only: a finer level the lookup found is not what the row reports. #}
{% macro reported_admin_pcodes() -%}
    case when reported_admin_level >= 1 then admin1_pcode end as admin1_pcode,
    case when reported_admin_level >= 2 then admin2_pcode end as admin2_pcode
{%- endmacro %}

{#
  The JIAF sheets' (PiN, Severity) first steps, as CTEs: rows of the configured countries, unpivoted wide -> long
  on the sheet's cluster columns, the sector aliases, and the PiN sheet's admin lookup (both sheets share it).
#}
{% macro jiaf_long_rows(model, columns, field, raw) -%}
source_rows as (
    select *
    from {{ ref(model) }}
    where {{ in_configured_countries('country_code') }}
),

long_rows as (
    unpivot source_rows
    on {{ columns | join(', ') }}
    into name {{ field }} value {{ raw }}
),

aliases as (
    {{ sector_alias_keys() }}
),

lookup as (
    {{ admin_lookup_for('jiaf_pin') }}
)
{%- endmacro %}

{#
  Two usable figures of one raw row for one sector are never summed: the CTE `ranked` ranks them
  (order_by: the one kept first); every rank after the first is `superseded` (need_exclusion_columns).
#}
{% macro ranked_problems(order_by) -%}
ranked as (
    select
        *,
        case when first_problem is null then row_number() over (
            partition by first_problem is null, _source_key, _row_number, country_code, sector_code
            order by {{ order_by }}
        ) end as rank_in_row
    from problems
)
{%- endmacro %}

{% macro need_exclusion_columns(rank='rank_in_row') -%}
    coalesce(first_problem, case when {{ rank }} > 1 then 'superseded' end) is null as is_usable,
    coalesce(first_problem, case when {{ rank }} > 1 then 'superseded' end) as exclusion_reason
{%- endmacro %}
