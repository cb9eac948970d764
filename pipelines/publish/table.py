"""Publish one table: write its new version, verify it, make it current, record it in the manifest.

Called by the publish asset, which Dagster runs only after the mart's blocking checks passed.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from pipelines.lib.files import sha256_file
from pipelines.lib.sql import quote_ident
from pipelines.publish.analyst_db import build_analyst_db
from pipelines.publish.export import export_table, top_level_files, verify_table_dir
from pipelines.publish.files import PublishError, atomic_copy, crash_point, fsync_dir, now, publication_lock
from pipelines.publish.manifest import ANALYST_DB, VERSIONS, add_history, read_manifest, write_manifest
from pipelines.publish.versions import list_versions, prune_plan, prune_versions, repair
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
    if final.exists():  # the same run publishing again (a retry): replace its own earlier copy
        if (manifest["tables"].get(table.name) or {}).get("version") == version:
            say(f"{table.name}: version {version} is already current; writing it again")
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


def _make_current(root: Path, final: Path, table_name: str) -> dict:
    """Step 3 for the table's files: copy each over its current file atomically, then check the copies."""
    for i, fname in enumerate(top_level_files(table_name)):
        atomic_copy(final / fname, root / fname)
        if i == 0:
            crash_point("swapping", table_name)
    files = {}
    for fname in top_level_files(table_name):  # the copies are what users read: check them too
        want = sha256_file(final / fname)
        if sha256_file(root / fname) != want:
            raise PublishError(f"{table_name}: {fname} differs from {final.relative_to(root)}/{fname} after copying")
        files[fname] = {"sha256": want, "bytes": (root / fname).stat().st_size}
    return files


def publish_table(
    con,
    table_name: str,
    *,
    version: str,
    run_id: str | None,
    keep_versions: int,
    config_info: dict | None = None,
    checks: dict | None = None,
    root: Path | None = None,
    log=None,
) -> dict:
    """Write, verify and make current one table's new version. Returns the table's manifest entry.

    `checks` says which blocking checks gated this publication (recorded, never re-evaluated here)."""
    table = published_table(table_name)
    say = log or (lambda m: None)
    checks = checks or {}
    with publication_lock(root) as root:
        started = time.perf_counter()
        manifest = read_manifest(root)
        repair(root, manifest, log=say)
        vroot = root / VERSIONS / version
        verified = _write_version(con, table, vroot, manifest, version, checks, say)
        files = _make_current(root, vroot / table_name, table_name)

        loads = load_log(con)
        previous = manifest["tables"].get(table_name) or {}
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
        manifest["tables"][table_name] = entry
        manifest["sources"] = loads
        if config_info:
            manifest["config"] = config_info
        manifest["version"] = max(filter(None, [manifest.get("version"), version]))
        manifest["last_run"] = {"run_id": run_id, "version": version, "at": now()}

        db = build_analyst_db(root, manifest)
        if db:
            manifest["files"][ANALYST_DB] = {"sha256": db["sha256"], "bytes": db["bytes"]}
        for fname, meta in files.items():
            manifest["files"][fname] = {**meta, "version": version}
        crash_point("before_manifest", table_name)
        pruned = {d.name for d in prune_plan(root, manifest, keep_versions)}
        manifest["versions"] = [v for v in list_versions(root) if v["version"] not in pruned]
        add_history(manifest, {"at": now(), "table": table_name, "version": version, "run_id": run_id,
                               "outcome": "published", "rows": verified["row_count"]})
        write_manifest(root, manifest)
        removed = prune_versions(root, manifest, keep_versions)  # only once no manifest refers to them
        if removed:
            say(f"pruned old versions: {', '.join(removed)}")
        entry["seconds"] = time.perf_counter() - started
        return entry
