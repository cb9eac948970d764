{#
  The mart's grain: one row per combination of `key_columns` (nulls compare equal, so a null admin2_code at
  admin1 level still counts). Fails with each combination that occurs more than once. It is also where the
  published table's key is declared: pipelines/quality/tables.py reads `key_columns` from this test in the
  dbt manifest. Usage (model level):
    data_tests:
      - grain:
          arguments:
            key_columns: [country_code, admin1_code, admin2_code, sector_code]
#}
{% test grain(model, key_columns) %}
{{ test_unique_combination_of_columns(model, key_columns) }}
{% endtest %}
