-- E-mail addresses and phone numbers removed from source text (stg_raw__personal_data), in the quality_issues
-- columns: one warning per raw row × column, naming the file, row and column. The value says what kind of
-- personal data was removed, never the data itself. Rows of countries outside var('countries') are left out.
select
    source_table as source,
    _source_key as source_key,
    _dataset_id as dataset_id,
    _source_file as file,
    _row_number as "row",
    case when _partition <> 'all' then _partition end as country_code,
    cast(null as varchar) as sector_code,
    field,
    kind || ' removed' as value,
    'personal_data_removed' as issue_code,
    case kind
        when 'email' then 'An e-mail address'
        when 'phone' then 'A phone number'
        else 'An e-mail address and a phone number'
    end || ' in ' || field || ' removed before publication (personal data is never published)' as issue,
    'warning' as severity
from {{ ref('stg_raw__personal_data') }}
where _partition = 'all' or {{ in_configured_countries('_partition') }}
