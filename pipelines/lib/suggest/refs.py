"""How the config names a chosen column: checked with the readers' own find_column, so it loads unedited."""
from __future__ import annotations

import hxl.model

from pipelines.lib.readers import ParsedTable, find_column


def column_ref(parsed: ParsedTable, index: int) -> str:
    """The config value naming column `index`: its HXL tag when it has one (made unambiguous), else its name."""
    tag = parsed.hxl_tags[index] if index < len(parsed.hxl_tags) else None
    if tag:
        ref = tag
        if _resolves(parsed, ref, index) and _matches(parsed, ref) == 1:
            return ref
        # A tag like #org+reporting also matches #org+reporting+name: exclude the other columns' attributes.
        mine = set(hxl.model.Column.parse(tag).attributes)
        pattern = hxl.model.TagPattern.parse(tag)
        others = set()
        for j, other in enumerate(parsed.hxl_tags):
            col = hxl.model.Column.parse(other) if other and j != index else None
            if col and pattern.match(col):
                others |= set(col.attributes) - mine
        ref = tag + "".join(f"-{a}" for a in sorted(others))
        if _resolves(parsed, ref, index):
            return ref
    name = parsed.columns[index]
    if not name.startswith("#") and _resolves(parsed, name, index):
        return name
    raise ValueError(f"column {index + 1} ({name!r}) cannot be named unambiguously in the config")


def _matches(parsed: ParsedTable, ref: str) -> int:
    """How many columns the HXL pattern `ref` matches (find_column takes the first; we want exactly one)."""
    pattern = hxl.model.TagPattern.parse(ref)
    return sum(1 for t in parsed.hxl_tags if t and pattern.match(hxl.model.Column.parse(t)))


def _resolves(parsed: ParsedTable, ref: str, index: int) -> bool:
    try:
        return find_column(parsed, ref) == index
    except Exception:  # noqa: BLE001 - an unusable reference is simply not chosen
        return False
