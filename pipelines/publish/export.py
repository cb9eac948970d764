"""One table's files: parquet and CSV (HXL hashtags as row 2) from its mart, and the check of what was written."""
from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import duckdb

from pipelines.lib.files import sha256_file
from pipelines.lib.sql import quote_ident, quote_literal
from pipelines.publish.files import PublishError, fsync_file
from pipelines.quality.hxl_tags import hxl_row
from pipelines.quality.tables import PublishedTable


def top_level_files(name: str) -> list[str]:
    """The files of a table that sit at the top of the published directory (its current version)."""
    return [f"{name}.parquet", f"{name}.csv"]


def _columns(con, parquet: Path) -> list[str]:
    return [r[0] for r in con.execute(f"describe select * from read_parquet({quote_literal(parquet)})").fetchall()]


# OWASP CSV injection: a spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_START = r"^[=+\-@\t\r]"


def csv_safe_select(con, parquet: Path) -> str:
    """The parquet's columns for CSV output, text cells that a spreadsheet would run as a formula prefixed
    with ' (OWASP). Only the CSV: parquet and the analyst DuckDB keep the value as it is."""
    out = []
    for name, typ, *_ in con.execute(f"describe select * from read_parquet({quote_literal(parquet)})").fetchall():
        col = quote_ident(name)
        if typ.upper() == "VARCHAR":
            out.append(f"case when regexp_matches({col}, {quote_literal(_FORMULA_START)}) "
                       f"then concat(chr(39), {col}) else {col} end as {col}")
        else:
            out.append(col)
    return ", ".join(out)


def parquet_select(con, table: PublishedTable) -> str:
    """The mart's columns as written to parquet: 128-bit integers (DuckDB's sum of BIGINT) would become DOUBLE
    in parquet, so people counts are cast to BIGINT and stay integers."""
    return ", ".join(
        f"cast({quote_ident(name)} as bigint) as {quote_ident(name)}" if typ.upper() in ("HUGEINT", "UHUGEINT")
        else quote_ident(name)
        for name, typ, *_ in con.execute(f"describe {table.relation}").fetchall()
    )


def export_table(con, table: PublishedTable, out_dir: Path) -> dict:
    """Write <table>.parquet and <table>.csv (HXL row 2) into out_dir, from the mart, in a stable row order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    parquet = out_dir / f"{table.name}.parquet"
    csv_path = out_dir / f"{table.name}.csv"
    body = out_dir / f".{table.name}.csv.body"
    con.execute(
        f"copy (select {parquet_select(con, table)} from {table.relation} order by all) to {quote_literal(parquet)} "
        "(format parquet, compression zstd)"
    )
    columns = _columns(con, parquet)
    con.execute(
        f"copy (select {csv_safe_select(con, parquet)} from read_parquet({quote_literal(parquet)})) "
        f"to {quote_literal(body)} (format csv, header false)"
    )
    with open(csv_path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        w.writerow(hxl_row(table.name, columns))
        with open(body, encoding="utf-8", newline="") as b:
            shutil.copyfileobj(b, f)
        f.flush()
        os.fsync(f.fileno())
    body.unlink()
    fsync_file(parquet)
    return {"columns": columns}


def verify_table_dir(con, table: PublishedTable, directory: Path, *, row_count: int) -> dict:
    """Re-read what was written: row counts, the parquet's rows against the mart's, sha256s of every file."""
    parquet = directory / f"{table.name}.parquet"
    csv_path = directory / f"{table.name}.csv"
    for p in (parquet, csv_path):
        if not p.exists():
            raise PublishError(f"{table.name}: {p.name} is missing from {directory}")
    src = f"read_parquet({quote_literal(parquet)})"
    columns = _columns(con, parquet)
    # The same rows, in any order: row count and the sum of every row's hash, on both sides. EXCEPT ALL both
    # ways says the same but sorts every row twice (10 s for 1.5M funding flows; this takes 0.2 s).
    row_hash = f"hash({', '.join(quote_ident(c) for c in columns)})"
    written, mart = con.execute(
        f"select (select [count(*), sum({row_hash})] from {src}),"
        f" (select [count(*), sum({row_hash})] from (select {parquet_select(con, table)} from {table.relation}))"
    ).fetchall()[0]
    if written[0] != row_count:
        raise PublishError(f"{table.name}: {parquet.name} has {written[0]:,} rows, expected {row_count:,}")
    if written != mart:
        raise PublishError(f"{table.name}: {parquet.name} differs from the mart "
                           "(the sums of its rows' hashes do not match)")
    with open(csv_path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header, tags = next(reader, None), next(reader, None)
    if header != columns or tags != hxl_row(table.name, columns):
        raise PublishError(f"{table.name}: {csv_path.name} header or HXL row does not match the table's columns")
    csv_rows = csv_data_rows(con, csv_path, len(columns))
    if csv_rows != row_count:
        raise PublishError(f"{table.name}: {csv_path.name} has {csv_rows:,} data rows, expected {row_count:,}")
    files = {}
    for p in sorted(directory.iterdir()):
        if p.is_file():
            files[p.name] = {"sha256": sha256_file(p), "bytes": p.stat().st_size}
    return {"row_count": row_count, "columns": columns, "files": files}


MAX_CSV_LINE = 1 << 30  # DuckDB's default is 2 MB; a coverage row's partner list alone can be 1 MB (x5000)


def csv_data_rows(con, csv_path: Path, width: int) -> int:
    """The CSV's records after the header and HXL rows, read by DuckDB's parser as written (quoted newlines are
    one record); a record of another width is an error, not a row."""
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    try:
        return con.execute(
            f"select count(*) from read_csv({quote_literal(csv_path)}, skip = 2, header = false, "
            f"auto_detect = false, delim = ',', quote = '\"', escape = '\"', columns = {columns}, "
            f"max_line_size = {MAX_CSV_LINE})"
        ).fetchall()[0][0]
    except duckdb.Error as e:
        raise PublishError(f"{csv_path.name} cannot be read back as CSV: {str(e).splitlines()[0]}") from e
