"""The HXL hashtag of every published column: row 2 of each published CSV (https://hxlstandard.org).

Tags live beside each column's type and description in the mart's YAML, as `config: meta: {hxl: "#tag"}`,
and are read from the dbt manifest (tables.py). Tags follow the HDX conventions (the FTS and HNO files on
HDX use the same ones). A column with no tag gets `#meta+<column>` and a warning in the publish log, so a
new column never blocks a publication; tag it in the YAML to give it a proper one.
"""
from __future__ import annotations

import re

from pipelines.quality.tables import published_table

_ATTR_OK = re.compile(r"[^a-z0-9_]+")


def explicit_tag(table: str, column: str) -> str | None:
    """The tag the mart's YAML gives this column, or None when there is none."""
    return published_table(table).hxl.get(column)


def hxl_tag(table: str, column: str) -> str:
    """The column's tag; untagged columns get `#meta+<column>` (see module docstring)."""
    tag = explicit_tag(table, column)
    if tag:
        return tag
    attr = _ATTR_OK.sub("_", column.lower()).strip("_") or "column"
    if not attr[0].isalpha():
        attr = "c_" + attr
    return f"#meta+{attr}"


def hxl_row(table: str, columns: list[str]) -> list[str]:
    return [hxl_tag(table, c) for c in columns]


def untagged_columns(table: str, columns: list[str]) -> list[str]:
    return [c for c in columns if explicit_tag(table, c) is None]
