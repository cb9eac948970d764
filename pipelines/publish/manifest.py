"""manifest.json: which version of each table is current and why, with its files, checks and sources.

Each release has its own manifest.json, written last into releases/<release>/; the top-level manifest.json
points at current/manifest.json (release.py). During a run, the table steps only stage what they did
(versions/<version>/.staged/<table>.json): the release step merges it into the next manifest.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from pipelines.lib.paths import published_dir
from pipelines.publish.files import atomic_write_bytes, now, publication_lock
from pipelines.quality.results import jsonable

MANIFEST = "manifest.json"
ANALYST_DB = "clusterwatch.duckdb"
VERSIONS = "versions"
RELEASES = "releases"
CURRENT = "current"  # symlink to releases/<release>: swapping it is the commit point of a publish
STAGED = ".staged"
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


def write_manifest(directory: Path, manifest: dict) -> None:
    """manifest.json into `directory` (a release being built), by temp file + os.replace."""
    manifest["built_at"] = now()
    data = json.dumps(jsonable(manifest), indent=2, ensure_ascii=False).encode("utf-8")
    atomic_write_bytes(directory / MANIFEST, data)


def staged_dir(root: Path, version: str) -> Path:
    return root / VERSIONS / version / STAGED


def stage_record(root: Path, version: str, table_name: str, record: dict) -> None:
    """What a table step did in this run (published: its new entry; blocked: why), for the release step."""
    d = staged_dir(root, version)
    d.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(d / f"{table_name}.json", json.dumps(jsonable(record), indent=2, ensure_ascii=False).encode())


def read_staged(root: Path, version: str) -> dict[str, dict]:
    d = staged_dir(root, version)
    if not d.is_dir():
        return {}
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(d.glob("*.json"))}


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
    """A table's checks failed (the check says so, for people): staged for the release step, which keeps the
    table's current version and records why. Only a record: the gate itself is Dagster's, which skips the
    publish asset of a failed blocking check."""
    with publication_lock(root) as root:
        earlier = read_staged(root, version).get(table_name) or {}
        if earlier.get("outcome") == "blocked" and reason not in earlier["reason"]:
            reason = f"{earlier['reason']}; {reason}"
        record = {"outcome": "blocked", "run_id": run_id, "at": now(), "reason": reason,
                  **({"checks": checks} if checks else {})}
        stage_record(root, version, table_name, record)
        return record


def apply_staged(manifest: dict, version: str, run_id: str | None, staged: dict[str, dict]) -> None:
    """The next manifest: each staged table published, or blocked with its current version kept."""
    for table_name, record in sorted(staged.items()):
        if record["outcome"] == "published":
            manifest["tables"][table_name] = record["entry"]
            manifest["sources"] = record.get("sources") or manifest.get("sources", [])
            manifest["version"] = max(filter(None, [manifest.get("version"), version]))
            event = {"outcome": "published", "rows": record["entry"]["row_count"]}
        else:
            entry = dict(manifest["tables"].get(table_name) or {})
            kept = entry.get("version")
            entry["status"] = "blocked"
            entry["reason"] = f"blocked in {version}: {record['reason']}; " + (
                f"version {kept} stays current" if kept else "never published")
            entry["last_attempt"] = {"version": version, "run_id": run_id, "at": record["at"], "outcome": "blocked",
                                     "reason": record["reason"]}
            if "checks" in record:
                entry["last_attempt"]["checks"] = record["checks"]
            manifest["tables"][table_name] = entry
            event = {"outcome": "blocked", "reason": record["reason"]}
        add_history(manifest, {"at": now(), "table": table_name, "version": version, "run_id": run_id, **event})
    manifest["last_run"] = {"run_id": run_id, "version": version, "at": now()}
