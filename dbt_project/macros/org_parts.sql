{#
  An organisation text split as `lhs (rhs)` (a struct from regexp_extract): when exactly one side has a word of
  three lower-case letters, that side is the name and the other the acronym. `want`: 'name' or 'acronym';
  `otherwise`: the value when the split tells nothing.
#}
{% macro org_part(parts, want, otherwise='null') -%}
    case
            when {{ parts }}.rhs <> '' and not regexp_matches({{ parts }}.rhs, '[a-z]{3,}')
                 and regexp_matches({{ parts }}.lhs, '[a-z]{3,}') then {{ parts }}.{{ 'lhs' if want == 'name' else 'rhs' }}
            when {{ parts }}.lhs <> '' and not regexp_matches({{ parts }}.lhs, '[a-z]{3,}')
                 and regexp_matches({{ parts }}.rhs, '[a-z]{3,}') then {{ parts }}.{{ 'rhs' if want == 'name' else 'lhs' }}
            else {{ otherwise }}
        end
{%- endmacro %}
