"""For `clusterwatch status`: every failed check of the last run that evaluated checks, with where it is
defined (the dbt test's YAML or SQL file) and its failing rows as dbt stored them (dbt_test__audit).

The great-expectations suites are reported from their saved results (quality/report.py); this covers
every asset check Dagster recorded, dbt tests included. Reading the warehouse needs it free: while a
refresh writes it, the rows are left out with a note, and nothing waits.
"""
from __future__ import annotations

from functools import lru_cache

from pipelines.lib.paths import warehouse_path

ROWS_SHOWN = 3
ROW_CHARS = 240  # a failing row's first columns; status --json has them all


@lru_cache(maxsize=1)
def _test_files() -> dict[str, str]:
    """dbt test name -> the file that defines it (relative to the dbt project)."""
    from pipelines.quality.tables import manifest_path
    from pipelines.transform.project import read_manifest

    try:
        nodes = read_manifest(manifest_path())["nodes"].values()
    except (OSError, ValueError, KeyError):
        return {}
    return {n["name"]: n.get("original_file_path") or "" for n in nodes if n.get("resource_type") == "test"}


def failed_checks(instance, run_ids: list[str]) -> tuple[str | None, list[dict]]:
    """(run id, its failed checks) for the newest of `run_ids` that evaluated any check."""
    from dagster._core.events import DagsterEventType

    for run_id in run_ids:
        evaluations = [e.asset_check_evaluation for e in
                       instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)]
        evaluations = [e for e in evaluations if e is not None]
        if evaluations:
            return run_id, [{"asset": e.asset_key.to_user_string(), "check": e.check_name,
                             "severity": e.severity.value.lower(), "file": _test_files().get(e.check_name)}
                            for e in evaluations if not e.passed]
    return None, []


def add_failing_rows(checks: list[dict]) -> str | None:
    """Each dbt check's failing-row count and first rows, read from the warehouse (read-only, no waiting).
    Returns a note when the warehouse could not be read."""
    import duckdb

    from pipelines.quality.dbt_failures import failing_rows

    dbt = [c for c in checks if c.get("file")]
    if not dbt:
        return None
    if not warehouse_path().exists():
        return "failing rows: no warehouse"
    try:
        con = duckdb.connect(str(warehouse_path()), read_only=True)
    except duckdb.Error:
        return "failing rows not readable now (a refresh holds the warehouse); run status again afterwards"
    try:
        for c in dbt:
            c["failing_rows"], c["rows"] = failing_rows(con, c["check"], limit=ROWS_SHOWN)
    finally:
        con.close()
    return None


def check_lines(checks: list[dict], note: str | None) -> list[str]:
    lines = []
    for c in checks:
        where = f" — defined in dbt_project/{c['file']}" if c.get("file") else ""
        count = f"; {c['failing_rows']:,} failing row(s)" if c.get("failing_rows") else ""
        lines.append(f"  ✘ {c['asset']}: {c['check']} ({c['severity']}){where}{count}")
        for i, row in enumerate(c.get("rows") or [], 1):
            text = ", ".join(f"{k}={str(v)[:40]}" for k, v in row.items())
            lines.append(f"      row {i}: " + (text if len(text) <= ROW_CHARS else text[:ROW_CHARS] + " …"))
    if note:
        lines.append(f"  ({note})")
    return lines
