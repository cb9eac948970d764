"""Quality gates: a great-expectations suite per published mart, run as blocking Dagster asset checks.

- `tables.py`: the published marts, their grain (key columns) and contract columns, in one place.
- `hxl_tags.py`: the HXL hashtag of every published column (row 2 of each published CSV).
- `results.py`: the uniform result of one expectation and of one suite, and how they are shown.
- `runner.py`: runs a suite: GX on a pandas DataFrame fetched from DuckDB via Arrow, SQL checks pushed down.
- `suites.py`: what each suite expects.
- `checks.py`: the suites as blocking Dagster asset checks.
- `report.py`: the quality report for information managers (published/quality/quality_report.{json,html}).
"""
