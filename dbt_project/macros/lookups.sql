{#
  The lookups every source joins through, written once:
  - sector_alias_keys(): (country_code, sector_key(alias)) -> Global Coordination Groups code, from the config's
    sector_aliases (var, country '' = every country) before the sector_aliases seed (which holds every code and
    name of the sectors seed too), then the parenthesised acronyms of both; sector_alias_join / sector_code_of: the join on it, a country's own alias first;
  - admin_key_columns(...): THE admin lookup key of a staging row, over the UNTRIMMED raw values
    (NULL and '' give the same key): admin_lookup_key, and admin_key_parts (the raw values, for int_admin_keys);
  - admin_lookup_for(table): raw admin values of one raw table -> COD p-codes, from int_admin_lookup
    (every key of int_admin_keys, resolved by pipelines/lib/pcodes with hdx-python-country), joined on
    admin_lookup_key; admin_lookup_columns(alias): the six columns a model takes from it;
  - reported_admin_level(alias, levels, names): the most detailed admin level a source row gives.
#}
{% macro sector_alias_keys() -%}
    with labels as (
        {%- for a in var('sector_aliases', []) %}
        select upper('{{ a.country or '' }}') as country_code, '{{ a.alias | replace("'", "''") }}' as alias,
               '{{ a.sector | replace("'", "''") }}' as sector_code, 1 as priority
        union all
        {%- endfor %}
        select '' as country_code, alias, sector_code, 2 as priority
        from {{ ref('sector_aliases') }}
    ),

    -- "Mine Action (MA)" also gives "MA": a parenthesised 2-6 letter acronym that starts like its label and
    -- stands for one sector only; any alias spelled out wins over it (pipelines/lib/sector_vocab.py: the same).
    acronyms as (
        select country_code, acronym as alias_key, min(sector_code) as sector_code, min(priority) + 2 as priority
        from (
            select *, regexp_extract(lower(alias), '\(([a-z]{2,6})\)', 1) as acronym
            from labels
        ) as l
        where acronym <> '' and left(acronym, 1) = left({{ sector_key('alias') }}, 1)
        group by country_code, acronym
        having count(distinct sector_code) = 1
    )

    select country_code, alias_key, arg_min(sector_code, priority) as sector_code
    from (
        select country_code, {{ sector_key('alias') }} as alias_key, sector_code, priority
        from labels
        union all
        select * from acronyms
    ) as all_aliases
    where alias_key is not null
    group by 1, 2
{%- endmacro %}

{# Two left joins on sector_alias_keys() (CTE `keys`): the country's own alias `<alias>_c` first, then the
   global one `<alias>`; sector_code_of(alias) picks. #}
{% macro sector_alias_join(keys, alias, value_expr, country_expr) -%}
    left join {{ keys }} as {{ alias }}_c
        on {{ alias }}_c.alias_key = {{ sector_key(value_expr) }}
       and {{ alias }}_c.country_code = {{ country_expr }}
    left join {{ keys }} as {{ alias }}
        on {{ alias }}.alias_key = {{ sector_key(value_expr) }}
       and {{ alias }}.country_code = ''
{%- endmacro %}

{% macro sector_code_of(alias) -%}
    coalesce({{ alias }}_c.sector_code, {{ alias }}.sector_code)
{%- endmacro %}

{% macro admin_key_columns(country_code, admin1_code, admin1_name, admin2_code, admin2_name) -%}
    concat_ws('|', coalesce({{ country_code }}, ''), coalesce({{ admin1_code }}, ''), coalesce({{ admin1_name }}, ''),
              coalesce({{ admin2_code }}, ''), coalesce({{ admin2_name }}, '')) as admin_lookup_key,
    struct_pack(
        country_code := cast({{ country_code }} as varchar), admin1_code := cast({{ admin1_code }} as varchar),
        admin1_name := cast({{ admin1_name }} as varchar), admin2_code := cast({{ admin2_code }} as varchar),
        admin2_name := cast({{ admin2_name }} as varchar)
    ) as admin_key_parts
{%- endmacro %}

{% macro admin_lookup_for(source_table) -%}
    select lookup_key, admin1_pcode, admin2_pcode, admin1_method, admin2_method, admin1_issue, admin2_issue
    from {{ ref('int_admin_lookup') }}
    where source_table = '{{ source_table }}'
{%- endmacro %}


{% macro admin_lookup_columns(alias) -%}
    {%- for c in ['admin1_pcode', 'admin2_pcode', 'admin1_method', 'admin2_method', 'admin1_issue', 'admin2_issue'] %}
        {{ alias }}.{{ c }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{# levels: the levels the source can give, most detailed first; names: a name alone counts (admin 1 and 2). #}
{% macro reported_admin_level(alias, levels=[3, 2, 1], names=false) -%}
    case
        {%- for level in levels %}
            when {{ alias }}.admin{{ level }}_code is not null
                {%- if names and level < 3 %} or {{ alias }}.admin{{ level }}_name is not null{% endif %} then {{ level }}
        {%- endfor %}
            else 0
        end
{%- endmacro %}
