"""The parsed table and the steps every format shares: clean cells, null markers, empty rows and columns."""
from __future__ import annotations

import functools
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.lib.config import Layout
from pipelines.lib.errors import SourceFormatError

ROW_NUMBER = "_row_number"

_WS = re.compile(r"\s+")  # str patterns: \s covers tabs, newlines and NBSP
# What str.strip() removes (no whitespace lies above U+3000); faster in Arrow than utf8_trim_whitespace.
_WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())


@dataclass
class ParsedTable:
    """One sheet or CSV file, read.

    `table` holds one string column per name in `columns` (in file order) plus `_row_number`,
    the 1-based physical row (CSV: record) in the source, header rows included. `hxl_tags[i]`
    is the normalised hashtag of column i ('#org+acronym', attributes sorted) or None.
    """

    columns: list[str]
    hxl_tags: list[str | None]
    table: pa.Table
    format: str
    sheet: str | None
    encoding: str | None
    header_row: int
    hxl_row: int | None
    # Where the table came from, so find_column can say which file lacks a column.
    source: str | None = None
    dataset: str | None = None
    resource: str | None = None

    @property
    def num_rows(self) -> int:
        return self.table.num_rows


@dataclass
class Where:
    """The file (and sheet) being read, for error messages."""

    path: Path
    dataset: str | None = None
    resource: str | None = None
    sheet: str | None = None

    def __str__(self) -> str:
        return f"{self.path.name!r}" + (f" sheet {self.sheet!r}" if self.sheet else "")

    def fail(self, message: str) -> SourceFormatError:
        return SourceFormatError(f"{self}: {message}", dataset=self.dataset, resource=self.resource)


def clean_text(value: str | None) -> str:
    """Collapse inner whitespace (newlines, tabs, NBSP) to one space and strip."""
    return _WS.sub(" ", value).strip() if value else ""


def fold(name: str) -> str:
    """How names are compared (columns, sheets): cleaned and case-folded."""
    return clean_text(name).casefold()


def dedupe(names: list[str]) -> list[str]:
    """Unique names (case-insensitively, as find_column matches): repeats get _2, _3..."""
    taken = {ROW_NUMBER.casefold()}
    out = []
    for name in names:
        candidate, n = name, 1
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{name}_{n}"
        taken.add(candidate.casefold())
        out.append(candidate)
    return out


def pad(row: list, width: int) -> list:
    return list(row) + [""] * (width - len(row))


def cell_cleaner(layout: Layout):
    """What `finish` does to every column: strip whitespace, configured null markers (and '') -> null. A reader
    may apply it to each batch as it reads (then finish(cleaned=True)), so the raw text never fills memory."""
    # An empty cell is missing whatever the configured markers say, so '' is always null.
    nulls = pa.array(sorted({clean_text(v) for v in layout.null_values} | {""}), pa.string())
    return lambda col: _normalise(col, nulls)


def finish(header, data: list[pa.ChunkedArray | pa.Array], row_numbers: pa.Array, layout: Layout,
           cleaned: bool = False, **meta) -> ParsedTable:
    """Trim, null, drop empty rows and trailing empty columns, name the columns (`header`: a header.Header)."""
    if not cleaned:
        clean = cell_cleaner(layout)
        with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:  # Arrow kernels release the GIL
            # In place, as each column is done: the raw column is freed then, not after the whole table.
            for i, col in enumerate(pool.map(clean, data)):
                data[i] = col
    # Cells right of the header get made-up names; pad short data to the header's width.
    width = max(len(header.columns), len(data))
    names = dedupe(header.columns + [f"column_{i + 1}" for i in range(len(header.columns), width)])
    tags = header.hxl_tags + [None] * (width - len(header.hxl_tags))
    unnamed = header.unnamed + [True] * (width - len(header.unnamed))
    data += [pa.nulls(len(row_numbers), pa.string())] * (width - len(data))
    # Trailing unnamed, empty columns are spreadsheet used-range or trailing-delimiter artefacts.
    while width and unnamed[width - 1] and data[width - 1].null_count == len(data[width - 1]):
        width -= 1
    names, tags, data = names[:width], tags[:width], data[:width]
    table = pa.table(data + [row_numbers], names=[f"c{i}" for i in range(width)] + [ROW_NUMBER])
    if width:
        table = _drop_empty_rows(table, data)
    table = table.rename_columns(names + [ROW_NUMBER])
    return ParsedTable(columns=names, hxl_tags=tags, table=table, hxl_row=header.hxl_row,
                       header_row=layout.header_row, **meta)


def _drop_empty_rows(table: pa.Table, data: list) -> pa.Table:
    empty = functools.reduce(pc.and_, [pc.is_null(c) for c in data])
    n_empty = pc.sum(empty).as_py() or 0
    if not n_empty:
        return table
    kept = table.num_rows - n_empty
    if pc.all(empty.slice(kept)).as_py():  # the common case, blank rows at the end: no copy
        return table.slice(0, kept)
    return table.filter(pc.invert(empty))


def _normalise(col, nulls: pa.Array):
    """Strip surrounding whitespace as str.strip() does (NBSP too); configured null markers become null."""
    col = pc.utf8_trim(col.cast(pa.string()), _WHITESPACE)
    marked = pc.is_in(col, value_set=nulls)
    if not pc.any(marked).as_py():  # if_else copies every string: skip it when there is nothing to null
        return col
    return pc.if_else(marked, pa.scalar(None, pa.string()), col)


@dataclass
class SheetInfo:
    """One sheet of a workbook (or the one table of a CSV file, name None), by size."""

    name: str | None
    rows: int
    columns: int
    visible: bool = True
