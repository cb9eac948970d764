"""What a file is and how its text is written: format, encoding, delimiter, first records.

Decided from the bytes, never the file name. The CSV reader and the config suggester both start here,
so they see a file the same way.
"""
from __future__ import annotations

import codecs
import csv
import io
import itertools
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pipelines.lib.readers.table import Where

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 1 << 20
SNIFF_RECORDS = 50  # records after the header row that the delimiter must fit


class NotUtf8(Exception):
    """UTF-8 was assumed from the first bytes but the file says otherwise further on."""


# cp1252 leaves five bytes undefined; browsers (WHATWG) map them to C1 controls, as latin-1 does.
codecs.register_error("cw-latin1", lambda e: (e.object[e.start:e.end].decode("latin-1"), e.end))


def sniff_format(path) -> str:
    """'csv', 'xlsx', 'xls' or 'ods', decided by the bytes, never the file name."""
    return sniff(Where(Path(path)))


def sniff(where: Where) -> str:
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


def _sniff_zip(where: Where) -> str:
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


def detect_encoding(head: bytes) -> str:
    """A byte-order mark decides; else UTF-8 if the first bytes decode, else Windows-1252."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def decoder(name: str):
    """An incremental decoder for the codec `name`; cp1252's undefined bytes decode as latin-1 does."""
    return codecs.getincrementaldecoder(name)(errors="cw-latin1" if name == "cp1252" else "strict")


def parse_records(text: str, delim: str, whole: bool, limit: int | None = None) -> list[list[str]]:
    """The first `limit` records of a text sample; a record cut off by the sample's end is dropped."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    records = list(itertools.islice(reader, None if limit is None else limit + 1))
    if limit is not None and len(records) > limit:
        return records[:limit]
    return records if whole or len(records) < 2 else records[:-1]


def detect_delimiter(text: str, header_row: int = 1) -> str:
    """The candidate giving the most consistent field count (>1) from the header row on."""
    best, best_score = ",", (0.0, 0)
    for delim in DELIMITERS:
        records = parse_records(text, delim, False, limit=header_row - 1 + SNIFF_RECORDS)
        widths = [len(r) for r in records[header_row - 1:]]
        if not widths:
            continue
        mode, count = Counter(widths).most_common(1)[0]
        score = (count / len(widths), mode)
        if mode > 1 and score > best_score:
            best, best_score = delim, score
    return best


@dataclass
class CsvSample:
    records: list[list[str]]  # from physical record 1 (header rows included)
    delimiter: str
    encoding: str


def sample_records(path: Path, limit: int, *, encoding: str | None = None, header_row: int = 1) -> CsvSample:
    """The first `limit` records of a CSV file, decoded and split as the reader reads them.

    Reads only as much of the file as those records need. Without `encoding` it is sniffed, and a
    file that stops being UTF-8 within the sample is read as Windows-1252; with one, NotUtf8 says
    that a UTF-8 encoding was wrong.
    """
    if encoding is None:
        with open(path, "rb") as f:
            encoding = detect_encoding(f.read(SAMPLE_BYTES))
        try:
            return sample_records(path, limit, encoding=encoding, header_row=header_row)
        except NotUtf8:
            return sample_records(path, limit, encoding="cp1252", header_row=header_row)
    text, whole = _head_text(path, limit, codecs.lookup(encoding).name)
    delim = detect_delimiter(text, header_row)
    return CsvSample(parse_records(text, delim, whole, limit=limit), delim, encoding)


def _head_text(path: Path, need: int, codec: str) -> tuple[str, bool]:
    """Enough decoded text from the start of `path` to hold `need` records (or the whole file)."""
    size = SAMPLE_BYTES
    while True:
        with open(path, "rb") as f:
            raw = f.read(size)
            whole = not f.read(1)
        try:
            text = decoder(codec).decode(raw, final=whole)
        except UnicodeDecodeError:
            raise NotUtf8 from None
        if whole or len(parse_records(text, ",", False, limit=need)) >= need:
            return text, whole
        size *= 4
