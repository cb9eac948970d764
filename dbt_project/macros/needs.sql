{# Rules shared by the int_needs__<source> models (HNO, JIAF, drought), which int_needs unions by name. #}

{# The lineage and admin columns every one of them ends with. #}
{% macro need_row_admin_columns() -%}
    _source_key as source_key,
    _dataset_id as dataset_id,
    _source_file as source_file,
    _row_number as row_number,
    country_code,
    reported_admin_level,
    case when reported_admin_level >= 1 then admin1_pcode end as admin1_pcode,
    case when reported_admin_level >= 2 then admin2_pcode end as admin2_pcode,
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
