"""What a file may cost to read, checked before any reader allocates for it.

calamine sizes a sheet from its last cell (or the <dimension> it declares): one cell at XFD1048576 asks
for 17 billion cells and aborts the process. So a workbook's zip directory (what it unpacks to) and
each worksheet's furthest cell are read first, streaming, and a file over a limit is refused by name.
"""
from __future__ import annotations

import re
import zipfile

from pipelines.lib.config import ReadLimits
from pipelines.lib.readers.table import Where

MB = 1 << 20
_STREAM_BYTES = 1 << 20
# A cell's reference (<c r="AB12" ...>: its column letters, then its row) and a row's (<row r="12" ...>); only
# cells and rows carry an `r` attribute of this form. Matched as the attribute alone, not inside its tag: with a
# literal to look for, the scan takes about a tenth of the time. Separators other than a space are rare, and
# get the slower pattern.
_CELL_COLUMN = re.compile(rb' r="([A-Z]{1,3})[0-9]')
_CELL_ROW = re.compile(rb' r="[A-Z]{0,3}([0-9]{1,7})"')
_CELL_COLUMN_ANY_SPACE = re.compile(rb'[\t\n\r ]r="([A-Z]{1,3})[0-9]')
_CELL_ROW_ANY_SPACE = re.compile(rb'[\t\n\r ]r="[A-Z]{0,3}([0-9]{1,7})"')
_OTHER_SPACES = (b'\tr="', b'\nr="', b'\rr="')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="[A-Z]{0,3}[0-9]{0,7}:?([A-Z]{1,3})([0-9]{1,7})"')


def check_file_size(where: Where, limits: ReadLimits) -> None:
    size = where.path.stat().st_size
    if size > limits.max_file_mb * MB:
        raise where.fail(f"the file is {size / MB:,.1f} MB, over the limit of {limits.max_file_mb:g} MB "
                         "(limits.max_file_mb)")


def check_workbook(where: Where, fmt: str, limits: ReadLimits) -> None:
    """Refuse a zip workbook that unpacks too large or a worksheet that spans too many cells."""
    check_file_size(where, limits)
    if fmt not in ("xlsx", "ods"):
        return  # xls (OLE2) is not a zip: its size on disk is what it costs
    try:
        with zipfile.ZipFile(where.path) as z:
            infos = z.infolist()
            unpacked = sum(i.file_size for i in infos)
            if unpacked > limits.max_uncompressed_mb * MB:
                raise where.fail(
                    f"the workbook unpacks to {unpacked / MB:,.0f} MB, over the limit of "
                    f"{limits.max_uncompressed_mb:g} MB (limits.max_uncompressed_mb); a zip bomb or a bloated file")
            if fmt == "xlsx":
                for info in infos:
                    if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                        _check_sheet_span(z, info, where, limits)
    except zipfile.BadZipFile as e:
        raise where.fail(f"truncated or corrupt zip/xlsx archive ({e})") from None


def _check_sheet_span(z: zipfile.ZipFile, info: zipfile.ZipInfo, where: Where, limits: ReadLimits) -> None:
    max_row, max_col, declared = 0, 0, None
    tail = b""
    with z.open(info) as f:
        while chunk := f.read(_STREAM_BYTES):
            # Scan the carried-over tail again so a reference cut by the chunk boundary is seen whole.
            text = tail + chunk
            if declared is None and (m := _DIMENSION.search(text)):
                declared = (column_number(m.group(1)), int(m.group(2)))
            column_refs, row_refs = ((_CELL_COLUMN_ANY_SPACE, _CELL_ROW_ANY_SPACE)
                                     if any(s in text for s in _OTHER_SPACES)
                                     else (_CELL_COLUMN, _CELL_ROW))
            # Distinct values first (in C): a sheet has few columns, and a row's number repeats in each cell.
            max_col = max([max_col, *map(column_number, set(column_refs.findall(text)))])
            max_row = max([max_row, *map(int, set(row_refs.findall(text)))])
            tail = text[-256:]
    spans = [(max_col, max_row, "its last cell")]
    if declared:
        spans.append((*declared, "its declared <dimension>"))
    for cols, rows, what in spans:
        if cols * rows > limits.max_sheet_cells:
            raise where.fail(
                f"worksheet {info.filename.rsplit('/', 1)[-1]!r}: {what} is at {column_letters(cols)}{rows}, "
                f"a span of {cols * rows:,} cells, over the limit of {limits.max_sheet_cells:,} "
                "(limits.max_sheet_cells); refused before reading")


def column_number(letters: bytes | str) -> int:
    n = 0
    for ch in letters.decode() if isinstance(letters, bytes) else letters:
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(n: int) -> str:
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out
