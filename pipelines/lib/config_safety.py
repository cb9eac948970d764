"""The config's safety rules: what a source file may cost to read, and paths that cannot leave their root."""
from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


def inside_root(path: str) -> bool:
    """A relative path with no '..' part: it cannot leave the folder it is joined to (symlinks aside)."""
    p = Path(path)
    return not p.is_absolute() and not path.startswith(("~", "\\")) and ".." not in p.parts and ":" not in path[:2]


class ReadLimits(BaseModel):
    """What a source file may cost to read; a file over any limit is refused with its name, never half-read."""

    model_config = ConfigDict(extra="forbid")

    max_file_mb: float = Field(512, gt=0, description="largest file on disk")
    max_uncompressed_mb: float = Field(
        1024, gt=0, description="largest total a workbook (xlsx/ods zip) unpacks to, from its zip directory")
    max_sheet_cells: int = Field(
        50_000_000, gt=0, description="largest rows x columns a worksheet may span (its last row and column)")
