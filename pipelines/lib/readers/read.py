"""The readers' entry points: read one sheet or CSV file as configured, find a configured column."""
from __future__ import annotations

from pathlib import Path

from pipelines.lib.config import Layout, ReadLimits
from pipelines.lib.errors import FetchError, SourceFormatError
from pipelines.lib.readers.csv_reader import read_csv
from pipelines.lib.readers.fts_json import read_fts_organisations
from pipelines.lib.readers.hxl import find_by_hxl
from pipelines.lib.readers.limits import check_file_size, check_workbook
from pipelines.lib.readers.sniff import sample_records, sniff, sniff_format
from pipelines.lib.readers.workbook import head_rows as workbook_head_rows
from pipelines.lib.readers.workbook import pick_sheet as workbook_pick_sheet
from pipelines.lib.readers.workbook import read_workbook, sheets
from pipelines.lib.readers.table import ParsedTable, SheetInfo, Where, fold

_FAMILY = {"csv": "csv", "xlsx": "workbook", "xls": "workbook", "ods": "workbook"}
_LIST_RECORDS = 50  # records that give a CSV file's width


def read_table(path, layout: Layout, *, dataset: str | None = None, resource: str | None = None,
               limits: ReadLimits | None = None) -> ParsedTable:
    """Read one sheet or CSV file as configured by `layout`, within `limits`. Raises SourceFormatError."""
    limits = limits or ReadLimits()
    where = Where(Path(path), dataset, resource, layout.sheet)
    if not where.path.is_file():
        raise FetchError(f"{where}: file not found at {where.path}", dataset=dataset, resource=resource)
    if where.path.stat().st_size == 0:
        raise where.fail("the file is empty")
    check_file_size(where, limits)
    if layout.format == "fts_json":  # an API response, not a table: its own reader
        return read_fts_organisations(where)
    fmt = sniff(where)
    # A configured format is a claim about the file; contradicting bytes mean a wrong file.
    if layout.format != "auto" and _FAMILY[fmt] != _FAMILY[layout.format]:
        raise where.fail(f"configured as {layout.format} but the content is {fmt}")
    if fmt == "csv":
        where.sheet = None
        return read_csv(where, layout)
    check_workbook(where, fmt, limits)
    return read_workbook(where, layout, fmt)


def find_column(parsed: ParsedTable, ref: str) -> int:
    """Index of the column `ref` names: an HXL tag pattern ('#adm1+code') or a header name."""
    ref = ref.strip()
    if ref.startswith("#"):
        index = find_by_hxl(parsed, ref)
    else:
        wanted = fold(ref)
        index = next((i for i, c in enumerate(parsed.columns) if fold(c) == wanted), None)
    if index is not None:
        return index
    where = f"{parsed.source!r}" + (f" sheet {parsed.sheet!r}" if parsed.sheet else "")
    tags = [t for t in parsed.hxl_tags if t]
    raise SourceFormatError(
        f"{where}: no column matches {ref!r}; columns: {parsed.columns}"
        + (f"; HXL tags: {tags}" if tags else "; the file has no HXL tags"),
        dataset=parsed.dataset,
        resource=parsed.resource,
    )


def list_sheets(path, limits: ReadLimits | None = None) -> tuple[str, list[SheetInfo]]:
    """The file's format and its sheets by size (a CSV file: one, unnamed, rows = physical lines)."""
    path = Path(path)
    fmt = sniff_format(path)
    if fmt != "csv":
        check_workbook(Where(path), fmt, limits or ReadLimits())
        return fmt, sheets(path)
    with open(path, "rb") as f:
        n_lines = sum(1 for _ in f)
    width = max((len(r) for r in sample_records(path, _LIST_RECORDS).records), default=0)
    return fmt, [SheetInfo(None, n_lines, width)]


def head_rows(path, sheet: str | None, n: int, limits: ReadLimits | None = None) -> list[list[str]]:
    """The first `n` physical rows as text cells, as the reader sees them (blank rows kept)."""
    path = Path(path)
    fmt = sniff_format(path)
    if fmt == "csv":
        return sample_records(path, n).records
    check_workbook(Where(path), fmt, limits or ReadLimits())
    return workbook_head_rows(path, sheet, n)


def pick_sheet(path, names: list[str], wanted: str | None) -> str:
    """The sheet `read_table` would read for `wanted` among `names`; SourceFormatError if none."""
    return workbook_pick_sheet(names, wanted, Where(Path(path)))

