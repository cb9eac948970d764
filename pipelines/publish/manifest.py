"""manifest.json: which version of each table is current and why, with its files, checks and sources.

Written last in every publication (temp file + os.replace), under the publication lock.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

from pipelines.lib.paths import published_dir
from pipelines.publish.files import atomic_write_bytes, now, publication_lock
from pipelines.quality.results import jsonable
from pipelines.site import rebuild_after_publish

MANIFEST = "manifest.json"
ANALYST_DB = "clusterwatch.duckdb"
VERSIONS = "versions"
MANIFEST_FORMAT = 1
HISTORY_LIMIT = 50


def empty_manifest() -> dict:
    return {
        "format": MANIFEST_FORMAT,
        "version": None,
        "built_at": None,
        "last_run": None,
        "config": None,
        "tables": {},
        "files": {},
        "sources": [],
        "versions": [],
        "history": [],
    }


def read_manifest(root: Path | None = None) -> dict:
    path = Path(root or published_dir()) / MANIFEST
    if not path.exists():
        return empty_manifest()
    return {**empty_manifest(), **json.loads(path.read_text(encoding="utf-8"))}


def write_manifest(root: Path, manifest: dict) -> None:
    manifest["built_at"] = now()
    data = json.dumps(jsonable(manifest), indent=2, ensure_ascii=False).encode("utf-8")
    atomic_write_bytes(root / MANIFEST, data)
    rebuild_after_publish(root, log=logging.getLogger(__name__).info)  # the donor site (published/site/)


def previous_published(table: str, root: Path | None = None) -> tuple[int | None, str | None]:
    """Row count and version of the table's current published version (None when never published)."""
    entry = read_manifest(root).get("tables", {}).get(table) or {}
    if not entry.get("version"):
        return None, None
    return entry.get("row_count"), entry.get("version")


def run_version(instance, run_id: str) -> str:
    """The version a run publishes: its start time (UTC) and run id, so versions sort by time."""
    record = instance.get_run_record_by_id(run_id)
    created = record.create_timestamp if record else dt.datetime.now(dt.UTC)
    return f"{created.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{run_id[:8]}"


def add_history(manifest: dict, event: dict) -> None:
    manifest["history"] = [event, *manifest.get("history", [])][:HISTORY_LIMIT]


def record_blocked(
    table_name: str,
    *,
    version: str,
    run_id: str | None,
    reason: str,
    checks: dict | None = None,
    root: Path | None = None,
) -> dict:
    """A table's checks failed (the check says so, for people): its current version stays, files untouched.

    Only a record: the gate itself is Dagster's, which skips the publish asset of a failed blocking check."""
    with publication_lock(root) as root:
        manifest = read_manifest(root)
        entry = dict(manifest["tables"].get(table_name) or {})
        kept = entry.get("version")
        entry["status"] = "blocked"
        entry["reason"] = f"blocked in {version}: {reason}; " + (
            f"version {kept} stays current" if kept else "never published"
        )
        entry["last_attempt"] = {
            "version": version,
            "run_id": run_id,
            "at": now(),
            "outcome": "blocked",
            "reason": reason,
            **({"checks": checks} if checks else {}),
        }
        manifest["tables"][table_name] = entry
        manifest["last_run"] = {"run_id": run_id, "version": version, "at": now()}
        add_history(manifest, {"at": now(), "table": table_name, "version": version, "run_id": run_id,
                               "outcome": "blocked", "reason": reason})
        write_manifest(root, manifest)
        return entry
