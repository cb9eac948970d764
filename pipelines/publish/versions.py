"""The versions/ directory: repair after an interrupted publication, prune old versions, report differences."""
from __future__ import annotations

import shutil
from pathlib import Path

from pipelines.lib.files import sha256_file
from pipelines.lib.paths import published_dir
from pipelines.publish.analyst_db import build_analyst_db
from pipelines.publish.export import top_level_files
from pipelines.publish.files import atomic_copy
from pipelines.publish.manifest import ANALYST_DB, MANIFEST, VERSIONS, read_manifest, write_manifest
from pipelines.quality.tables import PUBLISHED_TABLES


def _remove_unfinished(root: Path) -> list[str]:
    actions = []
    versions = root / VERSIONS
    if versions.exists():
        for vdir in versions.iterdir():
            if not vdir.is_dir():
                continue
            for d in [vdir] if vdir.name.endswith(".tmp") else [t for t in vdir.iterdir() if t.is_dir()]:
                if d.name.endswith(".tmp"):
                    shutil.rmtree(d, ignore_errors=True)
                    actions.append(f"removed unfinished {d.relative_to(root)}")
    for p in root.iterdir():
        if p.is_file() and p.name.startswith(".") and ".tmp-" in p.name:
            p.unlink(missing_ok=True)
            actions.append(f"removed temp file {p.name}")
    return actions


def repair(root: Path, manifest: dict, log=None) -> list[str]:
    """Make the top-level files match the manifest again (after a crash mid-publish); remove leftovers."""
    say = log or (lambda m: None)
    actions = _remove_unfinished(root)
    tables = manifest.get("tables", {})
    rebuild_db = False
    for t in PUBLISHED_TABLES:
        entry = tables.get(t.name) or {}
        if not entry.get("version"):
            if not (root / MANIFEST).exists():
                continue  # no manifest at all: do not guess, leave the files alone
            for fname in top_level_files(t.name):  # a first publication that crashed before its manifest
                if (root / fname).exists():
                    (root / fname).unlink()
                    actions.append(f"removed {fname} (never made current)")
                    rebuild_db = True
            continue
        for fname in top_level_files(t.name):
            want = (entry.get("files") or {}).get(fname, {}).get("sha256")
            top = root / fname
            if want and top.exists() and sha256_file(top) == want:
                continue
            src = root / VERSIONS / entry["version"] / t.name / fname
            if not src.exists() or sha256_file(src) != want:
                say(f"cannot restore {fname}: {src.relative_to(root)} is missing or differs from the manifest")
                continue
            atomic_copy(src, top)
            actions.append(f"restored {fname} from {src.parent.relative_to(root)}")
            rebuild_db = True
    db = manifest.get("files", {}).get(ANALYST_DB)
    db_path = root / ANALYST_DB
    if rebuild_db or (db and (not db_path.exists() or sha256_file(db_path) != db.get("sha256"))):
        info = build_analyst_db(root, manifest)
        if info:
            manifest.setdefault("files", {})[ANALYST_DB] = {"sha256": info["sha256"], "bytes": info["bytes"]}
            write_manifest(root, manifest)
            actions.append(f"rebuilt {ANALYST_DB} from the manifest's current versions")
    for a in actions:
        say(a)
    return actions


def prune_plan(root: Path, manifest: dict, keep: int) -> list[Path]:
    """The version directories to remove: all but the newest `keep`, and never one still current for a table."""
    versions = root / VERSIONS
    if not versions.exists():
        return []
    current = {e.get("version") for e in manifest.get("tables", {}).values() if e.get("version")}
    dirs = sorted((d for d in versions.iterdir() if d.is_dir() and not d.name.endswith(".tmp")), key=lambda d: d.name)
    keep_names = {d.name for d in dirs[-keep:]} | current
    return [d for d in dirs if d.name not in keep_names]


def prune_versions(root: Path, manifest: dict, keep: int) -> list[str]:
    """Remove old versions. Called after the manifest that stops referring to them is written."""
    removed = []
    for d in prune_plan(root, manifest, keep):
        shutil.rmtree(d, ignore_errors=True)
        removed.append(d.name)
    return removed


def list_versions(root: Path) -> list[dict]:
    versions = root / VERSIONS
    if not versions.exists():
        return []
    out = []
    for d in sorted(versions.iterdir(), key=lambda d: d.name, reverse=True):
        if d.is_dir() and not d.name.endswith(".tmp"):
            tables = sorted(t.name for t in d.iterdir() if t.is_dir() and not t.name.endswith(".tmp"))
            out.append({"version": d.name, "tables": tables})
    return out


def check_consistency(root: Path | None = None, manifest: dict | None = None) -> list[str]:
    """Read-only: the published files that differ from the manifest (after an interrupted publication)."""
    root = Path(root or published_dir())
    manifest = manifest or read_manifest(root)
    problems = []
    for name, meta in (manifest.get("files") or {}).items():
        path = root / name
        if not path.exists():
            problems.append(f"{name} is missing")
        elif sha256_file(path) != meta.get("sha256"):
            problems.append(f"{name} differs from the manifest (sha256)")
    for t, entry in (manifest.get("tables") or {}).items():
        if entry.get("version") and not (root / VERSIONS / entry["version"] / t).is_dir():
            problems.append(f"{t}: current version directory {VERSIONS}/{entry['version']}/{t}/ is missing")
    return problems
