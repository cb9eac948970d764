"""Workbooks (xlsx, xls, ods) through python-calamine: sheets, cells as text, the table of one sheet."""
from __future__ import annotations

import datetime as dt
import itertools
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
from python_calamine import CalamineWorkbook

from pipelines.lib.config import Layout
from pipelines.lib.errors import SourceFormatError
from pipelines.lib.readers.header import build_header
from pipelines.lib.readers.table import ParsedTable, SheetInfo, Where, finish, fold

_BATCH_ROWS = 50_000


def read_workbook(where: Where, layout: Layout, fmt: str) -> ParsedTable:
    try:
        with CalamineWorkbook.from_path(str(where.path)) as wb:
            sheet = pick_sheet(wb.sheet_names, layout.sheet, where)
            where.sheet = sheet
            rows = _sheet_rows(wb.get_sheet_by_name(sheet))
            head = list(itertools.islice(rows, layout.header_row + 1))
            if not head:
                raise where.fail("the sheet is empty")
            header = build_header([[cell_text(v) or "" for v in r] for r in head], layout, where)
            body = itertools.chain(head[header.data_start - 1:], rows)
            width, n_body, batches = max(len(r) for r in head), 0, []
            # Column arrays batch by batch: a multi-million-row sheet never sits in Python lists whole.
            for batch in _batched(body, _BATCH_ROWS):
                width = max(width, max(len(r) for r in batch))
                batches.append((len(batch), [pa.array(_column_values(batch, j), pa.string())
                                             for j in range(max(len(r) for r in batch))]))
                n_body += len(batch)
    except SourceFormatError:
        raise
    except Exception as e:  # calamine raises its own errors, and ValueError/OSError on garbage
        raise where.fail(f"cannot read the {fmt} workbook ({type(e).__name__}: {e})") from None
    data = [pa.chunked_array([arrays[j] if j < len(arrays) else pa.nulls(n, pa.string()) for n, arrays in batches],
                             pa.string()) for j in range(width)]
    row_numbers = pa.array(np.arange(header.data_start, header.data_start + n_body, dtype=np.int64))
    return finish(header, data, row_numbers, layout, format=fmt, sheet=sheet, encoding=None,
                  source=where.path.name, dataset=where.dataset, resource=where.resource)


def _sheet_rows(ws):
    """The sheet's rows from A1 (as to_python(skip_empty_area=False) gives them), one at a time.
    iter_rows starts at the first used column, so the empty columns left of it are put back."""
    lead = [""] * (ws.start[1] if ws.start else 0)
    return (lead + r for r in ws.iter_rows()) if lead else iter(ws.iter_rows())


def _batched(iterable, n: int):
    while batch := list(itertools.islice(iterable, n)):
        yield batch


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
