"""versions/ and releases/: repair after an interrupted publication, prune old ones, report differences."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from pipelines.lib.files import sha256_file
from pipelines.lib.paths import published_dir
from pipelines.publish.files import atomic_symlink
from pipelines.publish.manifest import CURRENT, MANIFEST, RELEASES, STAGED, VERSIONS, read_manifest

RELEASES_KEPT = 2  # besides the current one: a reader that resolved `current` just before a swap still finds it


def _remove_unfinished(root: Path) -> list[str]:
    actions = []
    for top in (root / VERSIONS, root / RELEASES):
        if not top.exists():
            continue
        for d in top.iterdir():
            if not d.is_dir() or d.is_symlink():
                continue
            for t in [d] if d.name.endswith(".tmp") else [t for t in d.iterdir() if t.is_dir()]:
                if t.name.endswith(".tmp"):
                    shutil.rmtree(t, ignore_errors=True)
                    actions.append(f"removed unfinished {t.relative_to(root)}")
    for p in root.iterdir():
        if p.name.startswith(".") and ".tmp-" in p.name and (p.is_file() or p.is_symlink()):
            p.unlink(missing_ok=True)
            actions.append(f"removed temp file {p.name}")
    return actions


def top_level_names(manifest: dict) -> list[str]:
    """The top-level paths of a release, data files first and manifest.json last."""
    return [*sorted(manifest.get("files") or {}), MANIFEST]


def link_top_level(root: Path, manifest: dict) -> list[str]:
    """Make each top-level file a symlink into current/ (once: afterwards swapping `current` moves them all).

    Data files first and manifest.json last, so that a directory published before releases existed moves
    to them in a safe order."""
    changed = []
    for name in top_level_names(manifest):
        link, target = root / name, f"{CURRENT}/{name}"
        if link.is_symlink() and os.readlink(link) == target:
            continue
        atomic_symlink(target, link)
        changed.append(name)
    return changed


def repair(root: Path, manifest: dict | None = None, log=None) -> list[str]:
    """Remove what an interrupted publication left behind, and finish pointing the top-level files at
    the current release (a crash right after the swap). The current release itself is never changed."""
    say = log or (lambda m: None)
    actions = _remove_unfinished(root)
    if (root / CURRENT).is_dir():
        manifest = read_manifest(root / CURRENT)
        actions += [f"pointed {n} at {CURRENT}/" for n in link_top_level(root, manifest)]
    for a in actions:
        say(a)
    return actions


def _sorted_dirs(top: Path) -> list[Path]:
    if not top.exists():
        return []
    return sorted((d for d in top.iterdir() if d.is_dir() and not d.is_symlink() and not d.name.endswith(".tmp")),
                  key=lambda d: d.name)


def current_release(root: Path) -> str | None:
    link = root / CURRENT
    return Path(os.readlink(link)).name if link.is_symlink() else None


def prune_plan(root: Path, manifest: dict, keep: int) -> list[Path]:
    """The version directories to remove: all but the newest `keep`, and never one still current for a table;
    and the releases before the newest RELEASES_KEPT besides the current one."""
    current = {e.get("version") for e in manifest.get("tables", {}).values() if e.get("version")}
    dirs = _sorted_dirs(root / VERSIONS)
    keep_names = {d.name for d in dirs[-keep:]} | current
    releases = _sorted_dirs(root / RELEASES)
    keep_releases = {d.name for d in releases[-(RELEASES_KEPT + 1):]} | {current_release(root)}
    return [d for d in dirs if d.name not in keep_names] + [d for d in releases if d.name not in keep_releases]


def prune_versions(root: Path, manifest: dict, keep: int) -> list[str]:
    """Remove old versions and releases. Called after the release that stops referring to them is current:
    the current release holds hard links to its files, so removing a version never removes what it serves."""
    removed = []
    for d in prune_plan(root, manifest, keep):
        shutil.rmtree(d, ignore_errors=True)
        removed.append(f"{d.parent.name}/{d.name}")
    return removed


def list_versions(root: Path) -> list[dict]:
    out = []
    for d in reversed(_sorted_dirs(root / VERSIONS)):
        tables = sorted(t.name for t in d.iterdir() if t.is_dir() and not t.name.endswith(".tmp")
                        and not t.name.startswith("."))
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
    if (root / CURRENT).is_dir():
        for name in top_level_names(manifest):
            if not ((root / name).is_symlink() and os.readlink(root / name) == f"{CURRENT}/{name}"):
                problems.append(f"{name} does not point at the current release yet")
    for t, entry in (manifest.get("tables") or {}).items():
        if entry.get("version") and not (root / VERSIONS / entry["version"] / t).is_dir():
            problems.append(f"{t}: current version directory {VERSIONS}/{entry['version']}/{t}/ is missing")
    return problems


def staged_leftovers(root: Path) -> list[str]:
    """Versions staged by a run that never released them (killed, or a run without the release step)."""
    released = {e.get("version") for e in read_manifest(root).get("tables", {}).values()}
    return [d.name for d in _sorted_dirs(root / VERSIONS) if (d / STAGED).is_dir() and d.name not in released]
