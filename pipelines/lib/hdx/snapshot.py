"""Snapshot backend: files already on disk (a folder of real HDX downloads). Never touches the network.

Lineage comes from the CKAN package_show JSON recorded beside the files when the config names one,
so a snapshot run records the same dataset/resource ids a live run would.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from pipelines.lib.config import Resource
from pipelines.lib.files import sha256_file
from pipelines.lib.hdx import FetchedFile, ResourceState, fetch_error


def load_package(path: Path) -> dict:
    """A recorded package_show answer: either the bare `result` dict or the full API envelope."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and "result" in data and "success" in data:
        data = data["result"]
    if not isinstance(data, dict) or "resources" not in data:
        raise ValueError(f"{path} is not a CKAN package_show result (no 'resources')")
    return data


def _slug(name: str) -> str:
    # Retrieve-style saved names ("download-afg-admpop-adm1-2021-v2.csv") vs HDX names ("afg_admpop_adm1_2021_v2.csv").
    name = name.lower()
    name = name.removeprefix("download-")
    return re.sub(r"[^a-z0-9]+", "-", name).strip("-")


def url_basename(url: str | None) -> str:
    return unquote(Path(urlparse(url or "").path).name)


def find_resource(package: dict, name: str, file_name: str | None = None) -> dict | None:
    """The resource called `name`; else the one whose URL ends in the file name; else a loose slug match."""
    resources = package.get("resources") or []
    for r in resources:
        if (r.get("name") or "").casefold() == name.casefold():
            return r
    wanted = {n for n in (name, file_name) if n}
    for r in resources:
        if url_basename(r.get("url")) in wanted:
            return r
    slugs = {_slug(n) for n in wanted}
    for r in resources:
        if _slug(r.get("name") or "") in slugs or _slug(url_basename(r.get("url"))) in slugs:
            return r
    return None


def _mtime_iso(path: Path) -> str:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.timezone.utc).isoformat(timespec="seconds")


class SnapshotFetcher:
    mode = "snapshot"

    def __init__(self, root: Path):
        self.root = Path(root)

    def _file(self, res: Resource) -> Path:
        if not res.path:
            raise fetch_error(res, f"no snapshot path configured (set `path:` under the snapshot root {self.root})")
        path = self._inside(res, res.path)
        if not path.is_file():
            raise fetch_error(res, f"snapshot file not found: {path}")
        return path

    def _inside(self, res: Resource, relative: str) -> Path:
        """root / relative, refused when it resolves outside the root (a '..' or a symlink out)."""
        path = self.root / relative
        if res.allow_outside_snapshot:
            return path
        root = self.root.resolve()
        if not path.resolve().is_relative_to(root):
            raise fetch_error(res, f"{relative!r} resolves outside the snapshot root {root}; set "
                                   "allow_outside_snapshot: true on the resource only for a file you trust")
        return path

    def _lineage(self, res: Resource, path: Path) -> tuple[dict, dict]:
        """The CKAN package and resource recorded for `res`; without metadata, the file's mtime."""
        if not res.metadata:
            return {}, {"last_modified": _mtime_iso(path)}
        meta_path = self._inside(res, res.metadata)
        try:
            package = load_package(meta_path)
        except FileNotFoundError:
            raise fetch_error(res, f"metadata file not found: {meta_path}") from None
        except ValueError as e:  # includes json.JSONDecodeError
            raise fetch_error(res, f"unreadable metadata: {e}") from e
        r = find_resource(package, res.resource_name, path.name)
        if r is None:
            names = [x.get("name") for x in package.get("resources") or []]
            raise fetch_error(res, f"no resource named {res.resource_name!r} in {meta_path}; available: {names}")
        return package, r

    def fetch(self, res: Resource) -> FetchedFile:
        path = self._file(res)
        package, r = self._lineage(res, path)
        # Used in place: the snapshot is read-only input, copying it would only waste disk.
        return FetchedFile.from_ckan(path, sha256_file(path), package, r, res)

    def state(self, res: Resource) -> ResourceState:
        # Cheap for a sensor: stat only, no hashing. Size + mtime_ns catch an edited or replaced file.
        path = self._file(res)
        package, r = self._lineage(res, path)
        st = path.stat()
        r_id = r.get("id") or res.resource_name
        return ResourceState.from_ckan(package, r, f"{r_id}|{r.get('last_modified')}|{st.st_size}|{st.st_mtime_ns}")
