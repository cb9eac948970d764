"""HDX access: one interface, two backends (live hdx-python-api, local snapshot).

Both return a FetchedFile that points at a local file; from there on ingestion follows one code path.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pipelines.lib.config import Resource


@dataclass(frozen=True)
class FetchedFile:
    path: Path
    sha256: str
    dataset_id: str
    dataset_name: str
    resource_id: str
    resource_name: str
    resource_modified: str | None  # ISO timestamp of the resource's last_modified, when known
    url: str | None = None


@dataclass(frozen=True)
class ResourceState:
    """What the change sensor compares: cheap metadata, no download."""

    dataset_modified: str | None
    resource_modified: str | None
    fingerprint: str  # changes whenever the resource changed


class Fetcher(Protocol):
    mode: str  # "live" or "snapshot"

    def fetch(self, res: Resource) -> FetchedFile: ...

    def state(self, res: Resource) -> ResourceState: ...
