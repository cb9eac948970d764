"""File helpers shared by the fetchers, publish and the dbt project."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

CHUNK = 1 << 20  # 1 MiB: hash big files without reading them into memory


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def copy_into_place(src: Path, dst: Path) -> None:
    """`dst` becomes a copy of `src` whole or not at all: a reader of `dst` never sees half of it."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    staged = dst.with_name(f".{dst.name}.tmp-{os.getpid()}")
    shutil.copyfile(src, staged)
    os.replace(staged, dst)
