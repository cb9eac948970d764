"""Quality gates. Every rule about a mart itself is a dbt test (contract, grain, codes, ranges, the
reconciliations in dbt_project/tests/singular/), run by dagster-dbt as blocking asset checks. Here:

- `tables.py`: the published tables, read from the dbt manifest (marts with `meta: publish: true`).
- `hxl_tags.py`: the HXL hashtag of every published column (column meta in the mart YAML), row 2 of each CSV.
- `suites.py`: what GX compares with the previously published version (row count, share of empty values).
- `runner.py`: runs a suite: GX on a pandas DataFrame fetched from DuckDB via Arrow.
- `results.py`: the uniform result of one expectation and of one suite, and how they are shown.
- `checks.py`: the suites as blocking Dagster asset checks.
- `report.py`: the quality report for information managers (published/quality/quality_report.{json,html}).
- `source_files.py`: its section per source file (rows read, loaded, excluded by reason; issues; failing rows).
"""
