"""Read messy HDX tabular files (CSV, XLSX, XLS, ODS) into string-typed Arrow tables.

Every value comes out as a string (or null) so nothing is lost before the staging
models decide types. Each row keeps its physical row number in the source, so a
bad value can be traced back to a cell a person can open and fix.

The CSV bulk path is DuckDB's reader (C++, parallel); Python's csv module only
parses the few header rows, and is the exact fallback for files DuckDB's strict
parser refuses or would number wrongly (blank lines, unbalanced quotes).
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import io
import itertools
import logging
import math
import os
import re
import tempfile
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import hxl.model
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from python_calamine import CalamineWorkbook

from pipelines.lib.config import Layout
from pipelines.lib.errors import FetchError, SourceFormatError

log = logging.getLogger(__name__)

ROW_NUMBER = "_row_number"
DELIMITERS = (",", ";", "\t", "|")
# libhxl's own threshold: a row is a hashtag row when at least this share of its
# non-empty cells parse as hashtags (real files carry stray labels like 'Column1').
HXL_SHARE = hxl.model.FUZZY_HASHTAG_PERCENTAGE

_SAMPLE_BYTES = 1 << 20
_CHUNK_BYTES = 1 << 23
_SNIFF_RECORDS = 50
_PY_BATCH_ROWS = 50_000
_DUCKDB_ATTEMPTS = 4  # each retry widens or pads after a row of unexpected width
_EOF_SENTINEL = "\x00clusterwatch-eof\x00"
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
class _Where:
    """The file (and sheet) being read, for error messages."""

    path: Path
    dataset: str | None = None
    resource: str | None = None
    sheet: str | None = None

    def __str__(self) -> str:
        return f"{self.path.name!r}" + (f" sheet {self.sheet!r}" if self.sheet else "")

    def fail(self, message: str) -> SourceFormatError:
        return SourceFormatError(f"{self}: {message}", dataset=self.dataset, resource=self.resource)


# ---------------------------------------------------------------- format sniffing


def sniff_format(path) -> str:
    """'csv', 'xlsx', 'xls' or 'ods', decided by the bytes, never the file name."""
    return _sniff(_Where(Path(path)))


def _sniff(where: _Where) -> str:
    with open(where.path, "rb") as f:
        head = f.read(8192)
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(where)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"  # OLE2 compound file: legacy Excel, which calamine reads
    if head.startswith(b"\x1f\x8b"):
        raise where.fail("the file is gzip-compressed, not a CSV or spreadsheet")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<!doctype html") or (text.startswith(b"<") and b"<html" in text[:1024]):
        raise where.fail("got an HTML page instead of data (a login, error or landing page?)")
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise where.fail("binary content that is neither CSV nor a known spreadsheet format")
    return "csv"


def _sniff_zip(where: _Where) -> str:
    try:
        with zipfile.ZipFile(where.path) as z:
            names = z.namelist()
            if "mimetype" in names:
                mimetype = z.read("mimetype").decode("ascii", "replace").strip()
                if mimetype == "application/vnd.oasis.opendocument.spreadsheet":
                    return "ods"
                raise where.fail(f"an OpenDocument file of type {mimetype!r}, not a spreadsheet")
    except zipfile.BadZipFile as e:
        raise where.fail(f"truncated or corrupt zip/xlsx archive ({e})") from None
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    raise where.fail(f"a zip archive that is not a spreadsheet (holds {names[:5]})")


# ---------------------------------------------------------------- public entry points


def read_table(path, layout: Layout, *, dataset: str | None = None, resource: str | None = None) -> ParsedTable:
    """Read one sheet or CSV file as configured by `layout`. Raises SourceFormatError."""
    where = _Where(Path(path), dataset, resource, layout.sheet)
    if not where.path.is_file():
        raise FetchError(f"{where}: file not found at {where.path}", dataset=dataset, resource=resource)
    if where.path.stat().st_size == 0:
        raise where.fail("the file is empty")
    fmt = _sniff(where)
    _check_configured_format(fmt, layout, where)
    if fmt == "csv":
        where.sheet = None
        return _read_csv(where, layout)
    return _read_workbook(where, layout, fmt)


def find_column(parsed: ParsedTable, ref: str) -> int:
    """Index of the column `ref` names: an HXL tag pattern ('#adm1+code') or a header name."""
    ref = ref.strip()
    if ref.startswith("#"):
        index = _find_by_hxl(parsed, ref)
    else:
        wanted = _fold(ref)
        index = next((i for i, c in enumerate(parsed.columns) if _fold(c) == wanted), None)
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


def _find_by_hxl(parsed: ParsedTable, ref: str) -> int | None:
    try:
        pattern = hxl.model.TagPattern.parse(_clean(ref))
    except Exception as e:  # libhxl raises its own HXLException or ValueError
        raise SourceFormatError(f"{ref!r} is not a valid HXL tag pattern ({e})",
                                dataset=parsed.dataset, resource=parsed.resource) from None
    for i, tag in enumerate(parsed.hxl_tags):
        if tag and pattern.match(hxl.model.Column.parse(tag)):
            return i
    return None


def _check_configured_format(fmt: str, layout: Layout, where: _Where) -> None:
    """A configured format is a claim about the file; contradicting bytes mean a wrong file."""
    if layout.format == "auto":
        return
    family = {"csv": "csv", "xlsx": "workbook", "xls": "workbook", "ods": "workbook"}
    if family[fmt] != family[layout.format]:
        raise where.fail(f"configured as {layout.format} but the content is {fmt}")


# ---------------------------------------------------------------- header handling


@dataclass
class _Header:
    columns: list[str]
    hxl_tags: list[str | None]
    hxl_row: int | None
    data_start: int  # 1-based physical row of the first data row
    unnamed: list[bool]  # no header text, group or tag: a name we made up


def _clean(value: str | None) -> str:
    """Collapse inner whitespace (newlines, tabs, NBSP) to one space and strip."""
    return _WS.sub(" ", value).strip() if value else ""


def _fold(name: str) -> str:
    return _clean(name).casefold()


def _hxl_tags(cells: list[str]) -> list[str | None] | None:
    """Normalised tags if `cells` is a hashtag row (libhxl's rule), else None."""
    tags: list[str | None] = []
    filled = valid = 0
    for cell in cells:
        text = _clean(cell)
        column = hxl.model.Column.parse(text) if text else None
        filled += bool(text)
        valid += bool(column)
        tags.append(column.get_display_tag(sort_attributes=True) if column else None)
    return tags if filled and valid / filled >= HXL_SHARE else None


def _build_header(rows: list[list[str]], layout: Layout, where: _Where) -> _Header:
    """Column names and HXL tags from the rows above the data (`rows` starts at physical row 1)."""
    if layout.header_row > len(rows):
        raise where.fail(f"header row {layout.header_row} is beyond the end of the data ({len(rows)} rows)")
    header = rows[layout.header_row - 1]
    width = max(len(header), *(len(r) for r in rows[layout.header_row - 1:layout.header_row + 1]))
    header = _pad(header, width)
    hxl_row, data_start = None, layout.header_row + 1
    tags: list[str | None] = [None] * width
    if layout.hxl == "auto":
        after = rows[layout.header_row] if len(rows) > layout.header_row else None
        if (own := _hxl_tags(header)) is not None:
            # The header row itself is the tag row (SSD 3W): tagged columns are named by their tag.
            tags, hxl_row = own, layout.header_row
            header = [t or h for t, h in zip(tags, header)]
        elif after is not None and (found := _hxl_tags(_pad(after, width))) is not None:
            tags, hxl_row, data_start = found, layout.header_row + 1, layout.header_row + 2
    groups = _groups(rows, layout, width)
    names = [_column_name(h, g, i) for i, (h, g) in enumerate(zip(header, groups))]
    unnamed = [not (_clean(h) or g or t) for h, g, t in zip(header, groups, tags)]
    return _Header(_dedupe(names), tags, hxl_row, data_start, unnamed)


def _groups(rows: list[list[str]], layout: Layout, width: int) -> list[str]:
    """Group labels forward-filled across the blank cells of a merged group row."""
    if layout.group_header_row is None:
        return [""] * width
    current, out = "", []
    for cell in _pad(rows[layout.group_header_row - 1], width):
        current = _clean(cell) or current
        out.append(current)
    return out


def _column_name(header: str, group: str, index: int) -> str:
    name = _clean(header) or f"column_{index + 1}"
    return f"{group} {name}" if group else name


def _dedupe(names: list[str]) -> list[str]:
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


def _pad(row: list, width: int) -> list:
    return list(row) + [""] * (width - len(row))


# ---------------------------------------------------------------- assembling the table


def _finish(header: _Header, data: list[pa.ChunkedArray | pa.Array], row_numbers: pa.Array,
            layout: Layout, **meta) -> ParsedTable:
    """Trim, null, drop empty rows and trailing empty columns, name the columns."""
    # An empty cell is missing whatever the configured markers say, so '' is always null.
    nulls = pa.array(sorted({_clean(v) for v in layout.null_values} | {""}), pa.string())
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:  # Arrow kernels release the GIL
        data = list(pool.map(lambda col: _normalise(col, nulls), data))
    # Cells right of the header get made-up names; pad short data to the header's width.
    width = max(len(header.columns), len(data))
    names = _dedupe(header.columns + [f"column_{i + 1}" for i in range(len(header.columns), width)])
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


# ---------------------------------------------------------------- workbooks (xlsx, xls, ods)


def _read_workbook(where: _Where, layout: Layout, fmt: str) -> ParsedTable:
    try:
        with CalamineWorkbook.from_path(str(where.path)) as wb:
            sheet = _pick_sheet(wb.sheet_names, layout.sheet, where)
            where.sheet = sheet
            rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except SourceFormatError:
        raise
    except Exception as e:  # calamine raises its own errors, and ValueError/OSError on garbage
        raise where.fail(f"cannot read the {fmt} workbook ({type(e).__name__}: {e})") from None
    if not rows:
        raise where.fail("the sheet is empty")
    head_rows = [[_cell(v) or "" for v in r] for r in rows[: layout.header_row + 1]]
    header = _build_header(head_rows, layout, where)
    body = rows[header.data_start - 1:]
    width = max((len(r) for r in rows), default=0)
    data = [pa.array(_column_values(body, j), pa.string()) for j in range(width)]
    row_numbers = pa.array(np.arange(header.data_start, header.data_start + len(body), dtype=np.int64))
    return _finish(header, data, row_numbers, layout, format=fmt, sheet=sheet, encoding=None,
                   source=where.path.name, dataset=where.dataset, resource=where.resource)


def _pick_sheet(names: list[str], wanted: str | None, where: _Where) -> str:
    if not names:
        raise where.fail("the workbook has no sheets")
    if wanted is None:
        return names[0]
    if wanted in names:
        return wanted
    # Sheet names are typed by hand and often carry stray spaces or case changes.
    loose = [n for n in names if _fold(n) == _fold(wanted)]
    if len(loose) == 1:
        return loose[0]
    raise where.fail(f"no sheet named {wanted!r}; the workbook has sheets {names}")


def _column_values(rows: list[list], j: int) -> list[str | None]:
    return [_cell(r[j]) if j < len(r) else None for r in rows]


def _cell(value) -> str | None:
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


# ---------------------------------------------------------------- CSV


class _NotUtf8(Exception):
    """UTF-8 was assumed from the first bytes but the file says otherwise further on."""


def _read_csv(where: _Where, layout: Layout) -> ParsedTable:
    with open(where.path, "rb") as f:
        head = f.read(_SAMPLE_BYTES)
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n"):
        raise where.fail("the file is empty (no text)")
    encoding = layout.encoding or _detect_encoding(head)
    try:
        return _read_csv_as(where, layout, encoding)
    except _NotUtf8:
        if layout.encoding:
            raise where.fail(f"the file is not valid {layout.encoding}") from None
        return _read_csv_as(where, layout, "cp1252")


def _detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def _read_csv_as(where: _Where, layout: Layout, encoding: str) -> ParsedTable:
    with tempfile.TemporaryDirectory(prefix="cw-csv-") as tmp:
        utf8 = _as_utf8_file(where, encoding, Path(tmp))
        text, whole = _head_text(utf8, layout.header_row + 1 + _SNIFF_RECORDS)
        delim = _detect_delimiter(text, layout.header_row)
        records = _parse_records(text, delim, whole, limit=layout.header_row + 1 + _SNIFF_RECORDS)
        header = _build_header(records, layout, where)
        width = max(len(r) for r in records)
        columns = _bulk_read(utf8, delim, width, where)
    n = len(columns[0]) if columns else 0
    skip = min(header.data_start - 1, n)
    data = [c.slice(skip) for c in columns]
    row_numbers = pa.array(np.arange(skip + 1, n + 1, dtype=np.int64))
    return _finish(header, data, row_numbers, layout, format="csv", sheet=None, encoding=encoding,
                   source=where.path.name, dataset=where.dataset, resource=where.resource)


def _as_utf8_file(where: _Where, encoding: str, tmp: Path) -> Path:
    """The file itself when it is UTF-8; otherwise a UTF-8 copy, so DuckDB can read it."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise where.fail(f"unknown encoding {encoding!r}") from None
    if name in ("utf-8", "utf-8-sig"):
        return where.path
    # cp1252 leaves five bytes undefined; browsers (WHATWG) map them to C1 controls, as latin-1 does.
    decoder = codecs.getincrementaldecoder(name)(errors="cw-latin1" if name == "cp1252" else "strict")
    out = tmp / "utf8.csv"
    try:
        with open(where.path, "rb") as src, open(out, "w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(_CHUNK_BYTES):
                dst.write(decoder.decode(chunk))
            dst.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as e:
        raise where.fail(f"the file is not valid {encoding} ({e.reason} at byte {e.start})") from None
    return out


codecs.register_error("cw-latin1", lambda e: (e.object[e.start:e.end].decode("latin-1"), e.end))


def _head_text(path: Path, need: int) -> tuple[str, bool]:
    """Enough decoded text from the start of `path` to hold `need` records (or the whole file)."""
    size = _SAMPLE_BYTES
    while True:
        with open(path, "rb") as f:
            raw = f.read(size)
            whole = not f.read(1)
        try:
            text = codecs.getincrementaldecoder("utf-8-sig")().decode(raw, final=whole)
        except UnicodeDecodeError:
            raise _NotUtf8 from None
        if whole or len(_parse_records(text, ",", False, limit=need)) >= need:
            return text, whole
        size *= 4


def _parse_records(text: str, delim: str, whole: bool, limit: int | None = None) -> list[list[str]]:
    """The first `limit` records of a text sample; a record cut off by the sample's end is dropped."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    records = list(itertools.islice(reader, None if limit is None else limit + 1))
    if limit is not None and len(records) > limit:
        return records[:limit]
    return records if whole or len(records) < 2 else records[:-1]


def _detect_delimiter(text: str, header_row: int) -> str:
    """The candidate giving the most consistent field count (>1) from the header row on."""
    best, best_score = ",", (0.0, 0)
    for delim in DELIMITERS:
        records = _parse_records(text, delim, False, limit=header_row - 1 + _SNIFF_RECORDS)
        widths = [len(r) for r in records[header_row - 1:]]
        if not widths:
            continue
        mode, count = Counter(widths).most_common(1)[0]
        score = (count / len(widths), mode)
        if mode > 1 and score > best_score:
            best, best_score = delim, score
    return best


def _bulk_read(path: Path, delim: str, width: int, where: _Where) -> list[pa.ChunkedArray]:
    """Every record of the file as `width`+ string columns, in file order (header rows included)."""
    scan = _scan_csv(path)
    if scan.duckdb_safe:
        columns = _read_duckdb(path, delim, width, where)
        # Quote parity only proves a blank line sits inside a quoted cell when no quote is
        # literal data (a stray 5" pipe flips it); with literal quotes, trust the exact parser.
        if columns is not None and not (scan.blank_in_quotes and _any_quote_in_values(columns)):
            return columns
    else:
        log.info("%s: blank lines or unbalanced quotes; reading with the csv module", where)
    return _read_python(path, delim, where)


@dataclass
class _CsvScan:
    """DuckDB drops blank lines and mis-reads a quote left open at EOF; either would shift
    row numbers. `duckdb_safe`: neither seen. `blank_in_quotes`: blank lines that quote
    parity places inside quoted cells (multi-paragraph text), which DuckDB keeps."""

    duckdb_safe: bool
    blank_in_quotes: bool


def _scan_csv(path: Path) -> _CsvScan:
    """One vectorised pass: quote count and where blank lines sit relative to quotes."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        if f.read(8).removeprefix(codecs.BOM_UTF8)[:1] in (b"\n", b"\r"):
            return _CsvScan(False, False)  # a blank first line
        f.seek(max(0, size - 4096))
        tail = f.read()
        scan_end = size - (len(tail) - len(tail.rstrip(b"\r\n")))  # trailing blank lines are harmless
        f.seek(0)
        quotes, prev, pos, blank_in_quotes = 0, b"", 0, False
        while chunk := f.read(_CHUNK_BYTES):
            if pos < scan_end:
                window = np.frombuffer(prev + chunk[: scan_end - pos], np.uint8)
                blanks = _blank_lines(window)
                if len(blanks):
                    # Quotes before each blank line: odd means it is inside a quoted cell.
                    before = quotes - prev.count(b'"') + np.searchsorted(np.flatnonzero(window == 34), blanks)
                    if (before % 2 == 0).any():
                        return _CsvScan(False, False)
                    blank_in_quotes = True
            quotes += chunk.count(b'"')
            prev, pos = chunk[-2:], pos + len(chunk)
    return _CsvScan(quotes % 2 == 0, blank_in_quotes)


def _blank_lines(a: np.ndarray) -> np.ndarray:
    """Offsets of '\n\n', '\n\r\n' and '\r\r'; numpy beats bytes.find ~4x on newline-dense text."""
    lf = np.flatnonzero(a == 10)
    gaps = np.diff(lf)
    cr = np.flatnonzero(a == 13)
    return np.concatenate([lf[:-1][(gaps == 1) | ((gaps == 2) & (a[lf[:-1] + 1] == 13))],
                           cr[:-1][np.diff(cr) == 1]])


def _any_quote_in_values(columns: list[pa.ChunkedArray]) -> bool:
    return any(pc.any(pc.match_substring(c, '"')).as_py() for c in columns)


def _read_duckdb(path: Path, delim: str, width: int, where: _Where) -> list[pa.ChunkedArray] | None:
    """Strict DuckDB read; None when the file needs the lenient Python parser."""
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")  # it would draw on the terminal
        padding = False  # parallel first; null_padding (short rows) makes DuckDB single-threaded
        for _ in range(_DUCKDB_ATTEMPTS):
            try:
                return list(_duckdb_scan(con, path, delim, width, padding).columns)
            except duckdb.Error as e:
                message = str(e)
            if "Invalid unicode" in message or "not utf-8" in message:
                raise _NotUtf8
            found = re.search(r"Expected Number of Columns: \d+ Found: (\d+)", message)
            if found and int(found.group(1)) != width:
                # A row shorter than the sample's: pad. Wider: widen, and pad the others.
                width, padding = max(width, int(found.group(1))), True
                continue
            log.info("%s: DuckDB's strict parser refused it (%s); using the csv module",
                     where, message.splitlines()[0])
            return None
        return None
    finally:
        con.close()


def _duckdb_scan(con, path: Path, delim: str, width: int, padding: bool) -> pa.Table:
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    options = "null_padding=true, parallel=false" if padding else "null_padding=false"
    # comment='' matters: DuckDB would otherwise take '#' lines (HXL rows!) for comments.
    query = (
        "SELECT * FROM read_csv($path, auto_detect=false, header=false, delim=$delim, quote='\"', escape='\"',"
        f" comment='', strict_mode=true, columns={columns}, {options})"
    )
    return con.sql(query, params={"path": str(path), "delim": delim}).to_arrow_table()


def _read_python(path: Path, delim: str, where: _Where) -> list[pa.ChunkedArray]:
    """Exact, lenient parse with the csv module (rows of any width, blank lines counted)."""
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 27))  # multi-MB cells exist in the wild
    batches: list[tuple[int, list[pa.Array]]] = []
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(_lines_with_sentinel(f), delimiter=delim)
            last = None
            for rows in _batched(reader, _PY_BATCH_ROWS):
                last = rows[-1]
                if last == [_EOF_SENTINEL]:
                    rows.pop()
                if rows:
                    batches.append((len(rows), _rows_to_arrays(rows)))
    except UnicodeDecodeError:
        raise _NotUtf8 from None
    except csv.Error as e:
        raise where.fail(f"unreadable CSV ({e})") from None
    if last != [_EOF_SENTINEL]:
        raise where.fail("the file ends inside a quoted field: it is truncated or a quote is never closed")
    width = max((len(arrays) for _, arrays in batches), default=0)
    return [
        pa.chunked_array([arrays[j] if j < len(arrays) else pa.nulls(n, pa.string()) for n, arrays in batches],
                         pa.string())
        for j in range(width)
    ]


def _lines_with_sentinel(f):
    """The file's lines, then a sentinel record: if the file ends inside quotes, the
    sentinel is swallowed into that field, which is how truncation shows itself."""
    last = ""
    for line in f:
        yield line
        last = line
    if last and not last.endswith(("\n", "\r")):
        yield "\n"  # the csv module wants one line per item: end the last line on its own
    yield _EOF_SENTINEL + "\n"


def _batched(iterable, n: int):
    it = iter(iterable)
    while batch := list(itertools.islice(it, n)):
        yield batch


def _rows_to_arrays(rows: list[list[str]]) -> list[pa.Array]:
    """Column arrays of a batch of rows of uneven width (blank lines are empty rows)."""
    width = max(len(r) for r in rows)
    padded = [r + [None] * (width - len(r)) if len(r) < width else r for r in rows]
    return [pa.array(col, pa.string()) for col in zip(*padded)]
