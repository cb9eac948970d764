"""Stage one table: write its new version, verify it, and stage its manifest entry for the release step.

Called by the publish asset, which Dagster runs only after the mart's blocking checks passed.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import duckdb

from pipelines.lib.sql import quote_ident
from pipelines.publish.export import export_table, verify_table_dir
from pipelines.publish.files import PublishError, crash_point, fsync_dir, now, publication_lock, write_error
from pipelines.publish.manifest import VERSIONS, read_manifest, stage_record
from pipelines.publish.versions import repair
from pipelines.quality.tables import PublishedTable, published_table

DATASET_ID_COLUMNS = ("source_dataset_ids", "source_datasets", "dataset_ids", "dataset_id")


def load_log(con) -> list[dict]:
    """raw._loads: every loaded resource with its dataset, modified time, file and sha256."""
    try:
        rel = con.sql(
            "select source_key, partition, table_name, dataset_id, resource_id, resource_modified, source_file, "
            "source_sha256, row_count, loaded_at from raw._loads order by source_key, partition"
        )
    except Exception:  # noqa: BLE001 - no raw layer yet
        return []
    cols = rel.columns
    return [dict(zip(cols, r)) for r in rel.fetchall()]


def table_sources(con, table: PublishedTable, loads: list[dict]) -> list[dict]:
    """The loads a table was built from: those of the dataset ids the mart records, else every load."""
    cols = [r[0] for r in con.execute(f"describe {table.relation}").fetchall()]
    col = next((c for c in DATASET_ID_COLUMNS if c in cols), None)
    if not col:
        return loads
    ids = set()
    for (v,) in con.execute(f"select distinct {quote_ident(col)}::varchar from {table.relation}").fetchall():
        if v:
            ids.update(x.strip() for x in str(v).strip("[]").split(",") if x.strip())
    picked = [ld for ld in loads if ld.get("dataset_id") in ids]
    return picked or loads


def _write_version(con, table: PublishedTable, vroot: Path, manifest: dict, version: str, checks: dict, say) -> dict:
    """Steps 1 and 2: the complete, verified version directory, renamed into place."""
    final, tmp = vroot / table.name, vroot / f"{table.name}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    if final.exists():  # the same run staging again (a retry): replace its own earlier, uncommitted copy
        if (manifest["tables"].get(table.name) or {}).get("version") == version:
            raise PublishError(f"{table.name}: version {version} is already current; a new run makes a new version")
        say(f"{table.name}: writing version {version} again")
        shutil.rmtree(final)
    row_count = con.execute(f"select count(*) from {table.relation}").fetchall()[0][0]
    export_table(con, table, tmp)
    (tmp / "checks.json").write_text(json.dumps(checks, indent=2, ensure_ascii=False), encoding="utf-8")
    verified = verify_table_dir(con, table, tmp, row_count=row_count)
    crash_point("written", table.name)
    fsync_dir(tmp)
    os.rename(tmp, final)
    fsync_dir(vroot)
    crash_point("renamed", table.name)
    return verified


def stage_table(
    con,
    table_name: str,
    *,
    version: str,
    run_id: str | None,
    checks: dict | None = None,
    root: Path | None = None,
    log=None,
) -> dict:
    """Write and verify one table's new version in versions/<version>/<table>/ and stage its manifest entry.

    Nothing current changes: the release step (release.py) makes every staged table current at once.
    `checks` says which blocking checks gated this publication (recorded, never re-evaluated here)."""
    table = published_table(table_name)
    say = log or (lambda m: None)
    checks = checks or {}
    with publication_lock(root) as root:
        started = time.perf_counter()
        manifest = read_manifest(root)
        repair(root, manifest, log=say)
        vroot = root / VERSIONS / version
        try:
            verified = _write_version(con, table, vroot, manifest, version, checks, say)
        except PublishError:
            raise
        except (OSError, duckdb.Error) as e:
            shutil.rmtree(vroot / f"{table.name}.tmp", ignore_errors=True)
            raise write_error(f"{table.name}: could not write {VERSIONS}/{version}/{table.name}/", e, root) from e
        previous = manifest["tables"].get(table_name) or {}
        loads = load_log(con)
        entry = {
            "version": version,
            "status": "published",
            "reason": f"published in {version}: its blocking checks passed",
            "published_at": now(),
            "run_id": run_id,
            "row_count": verified["row_count"],
            "previous_version": previous.get("version"),
            "previous_row_count": previous.get("row_count"),
            "columns": verified["columns"],
            "path": f"{VERSIONS}/{version}/{table_name}/",
            "files": verified["files"],
            "checks": checks,
            "last_attempt": {"version": version, "run_id": run_id, "at": now(), "outcome": "published"},
            "sources": table_sources(con, table, loads),
        }
        try:
            stage_record(root, version, table_name, {"outcome": "published", "entry": entry, "sources": loads})
        except OSError as e:
            raise write_error(f"{table.name}: could not stage its manifest entry", e, root) from e
        say(f"{table_name}: staged version {version} ({verified['row_count']:,} rows)")
        return {**entry, "seconds": time.perf_counter() - started}
