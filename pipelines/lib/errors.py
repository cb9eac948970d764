"""Errors raised while getting and reading source files. Each names what failed and where."""
from __future__ import annotations


class SourceError(Exception):
    """A source could not be used. The message names the dataset and resource."""

    def __init__(self, message: str, *, dataset: str | None = None, resource: str | None = None):
        self.dataset = dataset
        self.resource = resource
        where = ", ".join(p for p in (f"dataset {dataset!r}" if dataset else "", f"resource {resource!r}" if resource else "") if p)
        super().__init__(f"{where}: {message}" if where else message)


class FetchError(SourceError):
    """Download or lookup failed (timeout, HTTP error, truncated body, HTML instead of data, missing file)."""


class SourceFormatError(SourceError):
    """The file was fetched but cannot be read as configured (bad sheet, missing column, unknown format)."""
