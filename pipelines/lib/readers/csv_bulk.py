"""Every record of a UTF-8 CSV file as string columns, in file order.

The bulk path is DuckDB's reader (C++, parallel). Python's csv module is the exact fallback for files
DuckDB's strict parser refuses or would number wrongly (blank lines, unbalanced quotes).
"""
from __future__ import annotations

import codecs
import csv
import itertools
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.lib.duckdb_settings import active
from pipelines.lib.readers.sniff import NotUtf8
from pipelines.lib.readers.table import Where

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 23
# Files above this are held dictionary-encoded, one dictionary per batch: a 4W file repeats the same
# organisations, sectors and places on millions of rows (the x5000 sample's 1.7 GB CSV: 2.0 GB of strings held as 0.8 GB).
# Consumers decode a slice at a time (ingest), or read values (to_pylist), which works on either.
COMPACT_BYTES = 64 << 20
_PY_BATCH_ROWS = 50_000
_STREAM_ROWS = 100_000
_DUCKDB_ATTEMPTS = 4  # each retry widens or pads after a row of unexpected width
_EOF_SENTINEL = "\x00clusterwatch-eof\x00"


def bulk_read(path: Path, delim: str, width: int, where: Where, clean=None) -> list[pa.ChunkedArray]:
    """Every record of the file as `width`+ string columns, in file order (header rows included); `clean`, given,
    is applied to each column of each batch as it is read."""
    clean = clean or (lambda col: col)
    scan = _scan_csv(path)
    if scan.duckdb_safe:
        columns = _read_duckdb(path, delim, width, where, clean, compact=path.stat().st_size > COMPACT_BYTES)
        # Quote parity only proves a blank line sits inside a quoted cell when no quote is
        # literal data (a stray 5" pipe flips it); with literal quotes, trust the exact parser.
        if columns is not None and not (scan.blank_in_quotes and _any_quote_in_values(columns)):
            return columns
    else:
        log.info("%s: blank lines or unbalanced quotes; reading with the csv module", where)
    return _read_python(path, delim, where, clean)


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
        while chunk := f.read(CHUNK_BYTES):
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
    return any(pc.any(pc.match_substring(_values(chunk), '"')).as_py() for c in columns for chunk in c.chunks)


def _values(chunk: pa.Array) -> pa.Array:
    return chunk.dictionary if pa.types.is_dictionary(chunk.type) else chunk


def _read_duckdb(path: Path, delim: str, width: int, where: Where, clean, compact: bool = False
                 ) -> list[pa.ChunkedArray] | None:
    """Strict DuckDB read; None when the file needs the lenient Python parser."""
    con = duckdb.connect(config=active().connection_config())  # the config's memory limit, spilling past it
    try:
        con.execute("SET enable_progress_bar = false")  # it would draw on the terminal
        padding = False  # parallel first; null_padding (short rows) makes DuckDB single-threaded
        for _ in range(_DUCKDB_ATTEMPTS):
            try:
                return _duckdb_scan(con, path, delim, width, padding, clean, compact)
            except (duckdb.Error, OSError) as e:  # Arrow's stream reader hands DuckDB's errors on as OSError
                message = str(e)
            if "Invalid unicode" in message or "not utf-8" in message:
                raise NotUtf8
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


def _duckdb_scan(con, path: Path, delim: str, width: int, padding: bool, clean, compact: bool
                 ) -> list[pa.ChunkedArray]:
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    options = "null_padding=true, parallel=false" if padding else "null_padding=false"
    # comment='' matters: DuckDB would otherwise take '#' lines (HXL rows!) for comments.
    query = (
        "SELECT * FROM read_csv($path, auto_detect=false, header=false, delim=$delim, quote='\"', escape='\"',"
        f" comment='', strict_mode=true, columns={columns}, {options})"
    )
    # Streamed in batches, each cleaned into new arrays and then let go: DuckDB's batch frees its memory only
    # once every column of it is released, so cleaning the whole table afterwards held the file twice.
    reader = con.sql(query, params={"path": str(path), "delim": delim}).to_arrow_reader(_STREAM_ROWS)
    chunks: list[list[pa.Array]] = [[] for _ in reader.schema]
    for batch in reader:
        for i, col in enumerate(batch.columns):
            # Copied out first: Arrow's kernels reuse an input buffer (the validity bitmap), and any one buffer of
            # DuckDB's batch keeps the whole batch alive (the x5000 4W file then held 3 GB more).
            cleaned = clean(pa.concat_arrays([col, col.slice(0, 0)]))
            chunks[i].append(pc.dictionary_encode(cleaned) if compact else cleaned)
        batch = col = cleaned = None  # this batch's DuckDB memory can go now
    kind = pa.dictionary(pa.int32(), pa.string()) if compact else pa.string()
    return [pa.chunked_array(c, kind) for c in chunks]


def _read_python(path: Path, delim: str, where: Where, clean) -> list[pa.ChunkedArray]:
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
                    batches.append((len(rows), [clean(a) for a in _rows_to_arrays(rows)]))
    except UnicodeDecodeError:
        raise NotUtf8 from None
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
