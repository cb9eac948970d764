"""CSV files: encoding, header rows and delimiter from a sample, then every record in bulk (csv_bulk)."""
from __future__ import annotations

import codecs
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipelines.lib.config import Layout
from pipelines.lib.readers.csv_bulk import CHUNK_BYTES, bulk_read
from pipelines.lib.readers.header import build_header
from pipelines.lib.readers.sniff import SAMPLE_BYTES, SNIFF_RECORDS, NotUtf8, decoder, detect_encoding, sample_records
from pipelines.lib.readers.table import ParsedTable, Where, cell_cleaner, finish


def read_csv(where: Where, layout: Layout) -> ParsedTable:
    with open(where.path, "rb") as f:
        head = f.read(SAMPLE_BYTES)
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n"):
        raise where.fail("the file is empty (no text)")
    encoding = layout.encoding or detect_encoding(head)
    try:
        return _read_csv_as(where, layout, encoding)
    except NotUtf8:
        if layout.encoding:
            raise where.fail(f"the file is not valid {layout.encoding}") from None
        mixed = _mixed_utf8(where.path)
        if mixed:
            # Reading it all as cp1252 would garble every UTF-8 accent before the bad line ("VÃ©tÃ©rinaires").
            line, offset = mixed
            raise where.fail(
                f"mixed encodings: the file is UTF-8 (with accented text) until line {line} (byte {offset}), "
                "which is not valid UTF-8 (Windows-1252?); re-save the file as UTF-8, or set layout.encoding"
            ) from None
        return _read_csv_as(where, layout, "cp1252")


def _read_csv_as(where: Where, layout: Layout, encoding: str) -> ParsedTable:
    with tempfile.TemporaryDirectory(prefix="cw-csv-") as tmp:
        utf8 = _as_utf8_file(where, encoding, Path(tmp))
        sample = sample_records(utf8, layout.header_row + 1 + SNIFF_RECORDS, encoding="utf-8-sig",
                                header_row=layout.header_row)
        header = build_header(sample.records, layout, where)
        width = max(len(r) for r in sample.records)
        # Cleaned batch by batch as read: the raw text of a multi-million-row file is never all in memory.
        columns = bulk_read(utf8, sample.delimiter, width, where, clean=cell_cleaner(layout))
    n = len(columns[0]) if columns else 0
    skip = min(header.data_start - 1, n)
    data = [c.slice(skip) for c in columns]
    del columns  # `finish` replaces each column as it cleans it: the raw text is then freed column by column
    row_numbers = pa.array(np.arange(skip + 1, n + 1, dtype=np.int64))
    return finish(header, data, row_numbers, layout, cleaned=True, format="csv", sheet=None, encoding=encoding,
                  source=where.path.name, dataset=where.dataset, resource=where.resource)


def _mixed_utf8(path: Path) -> tuple[int, int] | None:
    """(line, byte offset) of the first invalid UTF-8 when valid multi-byte UTF-8 comes before it.

    A file that is ASCII up to its first non-UTF-8 byte is plain Windows-1252 and reads as such."""
    decode = codecs.getincrementaldecoder("utf-8")()
    offset, lines, seen_utf8 = 0, 1, False
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            try:
                text = decode.decode(chunk)
            except UnicodeDecodeError as e:
                if seen_utf8 or not chunk[: e.start].isascii():
                    return lines + chunk[: e.start].count(b"\n"), offset + e.start
                return None
            seen_utf8 = seen_utf8 or not text.isascii()
            lines += chunk.count(b"\n")
            offset += len(chunk)
    return None


def _as_utf8_file(where: Where, encoding: str, tmp: Path) -> Path:
    """The file itself when it is UTF-8; otherwise a UTF-8 copy, so DuckDB can read it."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise where.fail(f"unknown encoding {encoding!r}") from None
    if name in ("utf-8", "utf-8-sig"):
        return where.path
    decode = decoder(name)
    out = tmp / "utf8.csv"
    try:
        with open(where.path, "rb") as src, open(out, "w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(CHUNK_BYTES):
                dst.write(decode.decode(chunk))
            dst.write(decode.decode(b"", final=True))
    except UnicodeDecodeError as e:
        raise where.fail(f"the file is not valid {encoding} ({e.reason} at byte {e.start})") from None
    return out
