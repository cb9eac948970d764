"""What the corpus checks in a published tree: its files' hashes, and cells no CSV may publish."""
from __future__ import annotations

import csv
import hashlib
import os
from pathlib import Path

from pipelines.publish.export import FORMULA_PREFIXES
from tests.corpus.test_published_text import EMAIL, PHONE, _is_number


def published_tree(data: Path) -> dict[str, str]:
    """sha256 of every file under <data>/published (tables, manifest, versions, report, site, analysts' DB), and
    the target of every symlink (the release's `current`)."""
    root = data / "published"
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_symlink():
            out[str(p.relative_to(root))] = "-> " + os.readlink(p)
        elif p.is_file():
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def unsafe_cells(data: Path) -> list[tuple[str, int, str]]:
    """(file, line, cell) of every published CSV cell that starts a formula or holds an email or phone number."""
    bad = []
    for path in sorted((data / "published").glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as f:
            for n, row in enumerate(csv.reader(f), start=1):
                for cell in row:
                    formula = cell.startswith(FORMULA_PREFIXES) and not _is_number(cell)
                    if formula or EMAIL.search(cell) or PHONE.search(cell):
                        bad.append((path.name, n, cell[:60]))
    return bad
