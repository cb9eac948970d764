"""HDX access: one interface, two backends (live hdx-python-api, local snapshot).

Both return a FetchedFile that points at a local file; from there on ingestion follows one code path.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pipelines.lib.config import Resource
from pipelines.lib.errors import FetchError


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

    @classmethod
    def from_ckan(cls, path: Path, sha256: str, package: dict, resource: dict, res: Resource) -> "FetchedFile":
        """Lineage from a CKAN package and one of its resources; the config names what they lack."""
        return cls(path=path, sha256=sha256, url=resource.get("url"), resource_modified=resource.get("last_modified"),
                   dataset_id=package.get("id") or res.dataset, dataset_name=package.get("name") or res.dataset,
                   resource_id=resource.get("id") or res.resource_name,
                   resource_name=resource.get("name") or res.resource_name)


@dataclass(frozen=True)
class ResourceState:
    """What the change sensor compares: cheap metadata, no download."""

    dataset_modified: str | None
    resource_modified: str | None
    fingerprint: str  # changes whenever the resource changed

    @classmethod
    def from_ckan(cls, package: dict, resource: dict, fingerprint: str) -> "ResourceState":
        return cls(package.get("metadata_modified"), resource.get("last_modified"), fingerprint)


class Fetcher(Protocol):
    mode: str  # "live" or "snapshot"

    def fetch(self, res: Resource) -> FetchedFile: ...

    def state(self, res: Resource) -> ResourceState: ...


def fetch_error(res: Resource, message: str) -> FetchError:
    """A FetchError naming the configured dataset and resource."""
    return FetchError(message, dataset=res.dataset, resource=res.resource_name)
