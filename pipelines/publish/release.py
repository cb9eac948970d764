"""The release: every table a run staged becomes current in one step, the commit point of a publish.

A release is a directory releases/<release>/ holding a hard link to each current table file (the new
version of each staged table, the kept version of a blocked one), clusterwatch.duckdb built once from
those, and manifest.json written last. Once complete it is renamed into place, and the symlink `current`
is swapped to it by one atomic rename: that is the commit. The top-level files are symlinks into
current/, so a reader sees the previous release or the next, never a mix; one that resolves `current`
once reads a whole release even across later swaps. The donor site is rebuilt once, after the commit.
"""
from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path

import duckdb

from pipelines.lib.files import sha256_file
from pipelines.publish.analyst_db import build_analyst_db
from pipelines.publish.export import top_level_files
from pipelines.publish.files import (
    PublishError,
    atomic_symlink,
    crash_point,
    fsync_dir,
    link_or_copy,
    publication_lock,
    write_error,
)
from pipelines.publish.manifest import (
    ANALYST_DB,
    CURRENT,
    RELEASES,
    VERSIONS,
    apply_staged,
    read_manifest,
    read_staged,
    staged_dir,
    write_manifest,
)
from pipelines.publish.versions import link_top_level, list_versions, prune_plan, prune_versions, repair
from pipelines.site import rebuild_after_publish


def _release_id(root: Path, version: str) -> str:
    """The run's version; a second release of the same run (two processes, a retry) gets a suffix."""
    rid, n = version, 1
    while (root / RELEASES / rid).exists():
        n += 1
        rid = f"{version}.{n}"
    return rid


def _link_tables(root: Path, manifest: dict, out: Path) -> dict:
    """Hard-link each current table file into the release, checking it is the file the manifest names."""
    files = {}
    for name, entry in sorted(manifest["tables"].items()):
        if not entry.get("version"):
            continue
        src_dir = root / VERSIONS / entry["version"] / name
        for fname in top_level_files(name):
            want = entry["files"][fname]["sha256"]
            link_or_copy(src_dir / fname, out / fname)
            if sha256_file(out / fname) != want:
                raise PublishError(f"{name}: {src_dir.relative_to(root)}/{fname} differs from its manifest entry")
            files[fname] = {"sha256": want, "bytes": (out / fname).stat().st_size, "version": entry["version"]}
            crash_point("linking", name)
    return files


def _build(root: Path, manifest: dict, rid: str, keep_versions: int) -> Path:
    tmp = root / RELEASES / f"{rid}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    files = _link_tables(root, manifest, tmp)
    db = build_analyst_db(root, manifest, tmp / ANALYST_DB)
    if db:
        files[ANALYST_DB] = {"sha256": db["sha256"], "bytes": db["bytes"]}
    manifest["files"] = files
    manifest["release"] = rid
    crash_point("before_manifest", "release")
    pruned = {d.name for d in prune_plan(root, manifest, keep_versions)}
    manifest["versions"] = [v for v in list_versions(root) if v["version"] not in pruned and v["tables"]]
    write_manifest(tmp, manifest)  # the last file of the release
    fsync_dir(tmp)
    final = root / RELEASES / rid
    os.rename(tmp, final)
    fsync_dir(final.parent)
    return final


def release(
    version: str,
    *,
    run_id: str | None,
    keep_versions: int,
    config_info: dict | None = None,
    root: Path | None = None,
    log=None,
) -> dict | None:
    """Make what the run `version` staged current, in one step. Returns the new manifest (None: nothing staged)."""
    say = log or (lambda m: None)
    with publication_lock(root) as root:
        repair(root, log=say)
        staged = read_staged(root, version)
        if not staged:
            say(f"release: nothing staged for {version}")
            return None
        manifest = copy.deepcopy(read_manifest(root))
        apply_staged(manifest, version, run_id, staged)
        if config_info:
            manifest["config"] = config_info
        rid = _release_id(root, version)
        try:
            final = _build(root, manifest, rid, keep_versions)
        except PublishError:
            shutil.rmtree(root / RELEASES / f"{rid}.tmp", ignore_errors=True)
            raise
        except (OSError, duckdb.Error) as e:
            shutil.rmtree(root / RELEASES / f"{rid}.tmp", ignore_errors=True)
            raise write_error(f"release {rid}", e, root) from e
        crash_point("before_swap", "release")
        atomic_symlink(f"{RELEASES}/{final.name}", root / CURRENT)  # the commit point
        crash_point("swapped", "release")
        link_top_level(root, manifest)
        shutil.rmtree(staged_dir(root, version), ignore_errors=True)
        vdir = root / VERSIONS / version
        if vdir.is_dir() and not any(vdir.iterdir()):
            vdir.rmdir()  # a run that only recorded blocked tables
        removed = prune_versions(root, manifest, keep_versions)  # only once no release refers to them
        if removed:
            say(f"pruned: {', '.join(removed)}")
        published = sorted(t for t, r in staged.items() if r["outcome"] == "published")
        say(f"release {rid}: {len(published)} table(s) published, {len(staged) - len(published)} blocked")
        rebuild_after_publish(root, log=say)  # the donor site (published/site/), once per publish
        return manifest


def publish_now(con, tables: list[str], *, version: str, run_id: str | None, keep_versions: int,
                root: Path | None = None, log=None) -> dict | None:
    """Stage `tables` from the warehouse `con` and release them: one publish outside Dagster (tests, tools)."""
    from pipelines.publish.table import stage_table

    for t in tables:
        stage_table(con, t, version=version, run_id=run_id, root=root, log=log)
    return release(version, run_id=run_id, keep_versions=keep_versions, root=root, log=log)
