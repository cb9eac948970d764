"""Workbooks (xlsx, xls, ods) through python-calamine: sheets, cells as text, the table of one sheet."""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
from python_calamine import CalamineWorkbook

from pipelines.lib.config import Layout
from pipelines.lib.errors import SourceFormatError
from pipelines.lib.readers.header import build_header
from pipelines.lib.readers.table import ParsedTable, SheetInfo, Where, finish, fold


def read_workbook(where: Where, layout: Layout, fmt: str) -> ParsedTable:
    try:
        with CalamineWorkbook.from_path(str(where.path)) as wb:
            sheet = pick_sheet(wb.sheet_names, layout.sheet, where)
            where.sheet = sheet
            rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except SourceFormatError:
        raise
    except Exception as e:  # calamine raises its own errors, and ValueError/OSError on garbage
        raise where.fail(f"cannot read the {fmt} workbook ({type(e).__name__}: {e})") from None
    if not rows:
        raise where.fail("the sheet is empty")
    head_rows = [[cell_text(v) or "" for v in r] for r in rows[: layout.header_row + 1]]
    header = build_header(head_rows, layout, where)
    body = rows[header.data_start - 1:]
    width = max((len(r) for r in rows), default=0)
    data = [pa.array(_column_values(body, j), pa.string()) for j in range(width)]
    row_numbers = pa.array(np.arange(header.data_start, header.data_start + len(body), dtype=np.int64))
    return finish(header, data, row_numbers, layout, format=fmt, sheet=sheet, encoding=None,
                  source=where.path.name, dataset=where.dataset, resource=where.resource)


def pick_sheet(names: list[str], wanted: str | None, where: Where) -> str:
    """The sheet called `wanted` (the first sheet when None), forgiving stray spaces and case."""
    if not names:
        raise where.fail("the workbook has no sheets")
    if wanted is None:
        return names[0]
    if wanted in names:
        return wanted
    # Sheet names are typed by hand and often carry stray spaces or case changes.
    loose = [n for n in names if fold(n) == fold(wanted)]
    if len(loose) == 1:
        return loose[0]
    raise where.fail(f"no sheet named {wanted!r}; the workbook has sheets {names}")


def sheets(path: Path) -> list[SheetInfo]:
    """Every sheet with its size and whether it is visible, in workbook order."""
    with CalamineWorkbook.from_path(str(path)) as wb:
        visible = {}
        for meta in getattr(wb, "sheets_metadata", []) or []:
            visible[meta.name] = "Visible" in str(meta.visible) and "Hidden" not in str(meta.visible)
        out = []
        for name in wb.sheet_names:
            sheet = wb.get_sheet_by_name(name)
            out.append(SheetInfo(name, sheet.height, sheet.width, visible.get(name, True)))
    return out


def head_rows(path: Path, sheet: str | None, n: int) -> list[list[str]]:
    """The first `n` physical rows of a sheet (the first sheet when None) as text cells."""
    with CalamineWorkbook.from_path(str(path)) as wb:
        rows = wb.get_sheet_by_name(sheet or wb.sheet_names[0]).to_python(skip_empty_area=False, nrows=n)
    return [[cell_text(v) or "" for v in r] for r in rows]


def _column_values(rows: list[list], j: int) -> list[str | None]:
    return [cell_text(r[j]) if j < len(r) else None for r in rows]


def cell_text(value) -> str | None:
    """A workbook cell as text: integral numbers without '.0', full-precision floats, ISO dates."""
    if type(value) is str:
        return value
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)
