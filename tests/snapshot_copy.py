"""Copy one resource of the real snapshot (its file and metadata) into a private snapshot root, for corrupting."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipelines.lib.config import Resource


def copy_resource(real_snapshot: Path, res: Resource, root: Path) -> Path:
    """Copy res's file (and its metadata file, when it has one) to the same paths under root; returns the file."""
    target = root / res.path
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(real_snapshot / res.path, target)
    if res.metadata:
        (root / res.metadata).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(real_snapshot / res.metadata, root / res.metadata)
    return target
