"""One code path from a fetched file to raw rows, whichever backend fetched it.

fetch -> (skip if sha256 and config unchanged) -> read -> shape (mapping / snake_case / country filter)
-> add lineage -> replace the partition's rows in one transaction.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import time
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.lib.config import PRESENCE_FIELDS, ReadLimits, Resource
from pipelines.lib.errors import SourceFormatError
from pipelines.lib.hdx import Fetcher, FetchedFile
from pipelines.lib.raw_tables import RAW_TABLES, contract_fingerprint, is_mapped, missing_columns
from pipelines.lib.readers import ParsedTable, find_column, read_table
from pipelines.lib.text import snake_case
from pipelines.lib.warehouse import ALL_PARTITIONS, last_load, replace_partition


@dataclass(frozen=True)
class LoadResult:
    source_key: str
    table: str
    partition: str
    rows: int
    skipped: bool
    seconds: float
    source_sha256: str
    dataset_id: str
    resource_id: str
    resource_modified: str | None
    source_file: str
    warnings: tuple[str, ...] = ()
    dropped_columns: tuple[str, ...] = ()  # columns of the file outside the table's contract: never loaded


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return out


CACHE_MAX_BYTES = 64 << 20
# Rows shaped, hashed and inserted at a time: memory follows this, not the file (a 4W file can hold millions).
SHAPE_ROWS = 250_000


@functools.lru_cache(maxsize=8)
def _read_cached(path: str, sha256: str, layout_json: str, dataset: str, resource: str, limits_json: str
                 ) -> ParsedTable:
    # Multi-country files are read once per refresh, not once per country partition.
    from pipelines.lib.config import Layout

    return read_table(path, Layout.model_validate_json(layout_json), dataset=dataset, resource=resource,
                      limits=ReadLimits.model_validate_json(limits_json))


def read_fetched(res: Resource, fetched: FetchedFile, limits: ReadLimits | None = None) -> ParsedTable:
    args = (str(fetched.path), fetched.sha256, res.layout.model_dump_json(), res.dataset, res.resource_name,
            res.read_limits(limits).model_dump_json())
    # A big file is read again per partition rather than kept in memory for the rest of the refresh.
    if fetched.path.stat().st_size > CACHE_MAX_BYTES:
        return _read_cached.__wrapped__(*args)
    return _read_cached(*args)


def _null_column(n: int) -> pa.Array:
    return pa.nulls(n, type=pa.string())


def constant_column(value, n: int, type_=pa.string()) -> pa.Array:
    """n copies of one value, made by Arrow (a Python list of n items cost seconds per million rows)."""
    return pa.repeat(pa.scalar(value, type=type_), n)


def shape_presence(res: Resource, parsed: ParsedTable) -> pa.Table:
    """Apply the config's 3W/4W column mapping: raw.presence has the same columns for every file."""
    n = parsed.table.num_rows
    cols: dict[str, pa.Array] = {}
    for field in PRESENCE_FIELDS:
        if res.columns and field in res.columns:
            idx = find_column(parsed, res.columns[field])
            cols[field] = parsed.table.column(parsed.columns[idx])
        elif field in res.constants:
            cols[field] = constant_column(res.constants[field], n)
        else:
            cols[field] = _null_column(n)
    period = res.reference_period
    cols["country_code"] = constant_column(res.country, n)
    cols["reference_period_start"] = constant_column(period.start.isoformat() if period else None, n)
    cols["reference_period_end"] = constant_column(period.end.isoformat() if period else None, n)
    cols["row_hash"] = _row_hashes(parsed)
    cols["_row_number"] = parsed.table.column("_row_number")
    return pa.table({k: cols[k] for k in (*RAW_TABLES["presence"], "_row_number")})


def _row_hashes(parsed: ParsedTable) -> pa.Array:
    """A hash of every cell of each source row (all columns, mapped or not): equal hashes = an exact duplicate.
    96 bits of md5, computed by DuckDB over the joined cells (Python's hashlib row by row took 11 s of x5000's
    7.5M-row file); rows are only ever compared with rows of the same load, so the function may change."""
    names = [c for c in parsed.columns if c != "_row_number"]
    if not names:
        return _null_column(parsed.table.num_rows)
    cells = [pc.fill_null(parsed.table.column(c), "\x00") for c in names]
    joined = pa.table({"cells": pc.binary_join_element_wise(*cells, "\x1f")})
    # One slice of SHAPE_ROWS at a time (ingest_resource), so this never covers the whole file.
    with duckdb.connect() as con:
        con.register("joined", joined)
        return con.sql("select left(md5(cells), 24) as h from joined").to_arrow_table().column("h").combine_chunks()


def shape_generic(res: Resource, parsed: ParsedTable) -> tuple[pa.Table, tuple[str, ...]]:
    """The file's contract columns (raw_tables.is_mapped), constants and reference period; and what was left out."""
    names = _unique([snake_case(c) for c in parsed.columns])
    arrays = [parsed.table.column(c) for c in parsed.columns]
    n = parsed.table.num_rows
    for field, value in res.constants.items():
        if snake_case(field) in names:
            raise SourceFormatError(
                f"constant {field!r} clashes with a column of the file", dataset=res.dataset, resource=res.resource_name
            )
        names.append(snake_case(field))
        arrays.append(constant_column(value, n))
    # The config's reference period travels with the rows (unless the file has its own), so marts can say
    # which period a figure is for.
    reference = {}
    if res.reference_period:
        reference["reference_period_start"] = res.reference_period.start.isoformat()
        reference["reference_period_end"] = res.reference_period.end.isoformat()
    if res.year:
        reference["reference_year"] = str(res.year)
    for name, value in reference.items():
        if name not in names:
            names.append(name)
            arrays.append(constant_column(value, n))
    kept = set(reference) | {snake_case(f) for f in res.constants}
    dropped = tuple(n for n in names if n not in kept and not is_mapped(res.table, n))
    pairs = [(n, a) for n, a in zip(names, arrays) if n not in dropped]
    pairs.append(("_row_number", parsed.table.column("_row_number")))
    return pa.table(dict(pairs)), dropped


def filter_country(res: Resource, parsed: ParsedTable, rows: pa.Table, partition: str) -> pa.Table:
    """Keep one country's rows of a multi-country file."""
    if partition == ALL_PARTITIONS or not res.country_column:
        return rows
    idx = find_column(parsed, res.country_column)
    values = parsed.table.column(parsed.columns[idx])
    mask = pc.equal(pc.utf8_upper(pc.utf8_trim_whitespace(values)), partition)
    return rows.filter(pc.fill_null(mask, False))


def add_lineage(rows: pa.Table, res: Resource, fetched: FetchedFile, partition: str, loaded_at: dt.datetime) -> pa.Table:
    n = rows.num_rows

    def const(v):
        return constant_column(v, n)

    return (
        rows.append_column("_dataset_id", const(fetched.dataset_id))
        .append_column("_resource_id", const(fetched.resource_id))
        .append_column("_resource_modified", const(fetched.resource_modified))
        .append_column("_source_file", const(fetched.path.name))
        .append_column("_source_sha256", const(fetched.sha256))
        .append_column("_loaded_at", constant_column(loaded_at, n, pa.timestamp("us")))
        .append_column("_source_key", const(res.id))
        .append_column("_partition", const(partition))
        .append_column("_number_format", const(res.number_format))
    )


def ingest_resource(
    con, fetcher: Fetcher, res: Resource, kind: str, partition: str = ALL_PARTITIONS, *, force: bool = False,
    limits: ReadLimits | None = None,
) -> LoadResult:
    started = time.perf_counter()
    fetched = fetcher.fetch(res)
    fingerprint = f"{res.fingerprint()}-{contract_fingerprint(res.table)}"
    # What both the load log and the result record about the file.
    lineage = dict(source_sha256=fetched.sha256, dataset_id=fetched.dataset_id, resource_id=fetched.resource_id,
                   resource_modified=fetched.resource_modified, source_file=fetched.path.name)

    def result(rows: int, skipped: bool, dropped: tuple[str, ...] = ()) -> LoadResult:
        # A presence file with a header and no rows says "no partners" by mistake far more often than by design.
        empty = kind == "presence" and rows == 0
        warnings = (f"{fetched.path.name}: the 3W/4W file has no data rows (header only or empty); "
                    f"{res.country or partition} shows no presence from {res.id}",) if empty else ()
        return LoadResult(source_key=res.id, table=res.table, partition=partition, rows=rows, skipped=skipped,
                          seconds=time.perf_counter() - started, warnings=warnings, dropped_columns=dropped,
                          **lineage)

    previous = last_load(con, res.id, partition)
    if not force and previous and previous.source_sha256 == fetched.sha256 and previous.fingerprint == fingerprint:
        return result(previous.row_count, skipped=True)

    if kind == "presence" and res.table != "presence":
        raise SourceFormatError(f"3W/4W resources land in table 'presence', not {res.table!r}", dataset=res.dataset, resource=res.resource_name)
    if res.table not in RAW_TABLES:
        raise SourceFormatError(f"raw.{res.table} has no column contract (pipelines/lib/raw_tables.py): nothing "
                                "would say which of the file's columns may be loaded", dataset=res.dataset,
                                resource=res.resource_name)
    parsed = read_fetched(res, fetched, limits)

    def shape(part: ParsedTable) -> tuple[pa.Table, tuple[str, ...]]:
        return (shape_presence(res, part), ()) if kind == "presence" else shape_generic(res, part)

    no_rows, dropped = shape(_rows_of(parsed, 0, 0))  # the columns, checked before any row is loaded
    columns = no_rows.column_names
    missing = missing_columns(res.table, columns)
    if missing:
        where = f"{fetched.path.name}" + (f", sheet {parsed.sheet!r}" if parsed.sheet else "")
        raise SourceFormatError(
            f"{where}: columns {missing} expected for raw.{res.table} are missing; "
            f"the file has {columns[:40]}. Check the layout (header_row, sheet) in the config.",
            dataset=res.dataset,
            resource=res.resource_name,
        )
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)

    def batches():
        nonlocal parsed
        for start in range(0, max(parsed.num_rows, 1), SHAPE_ROWS):
            part = _rows_of(parsed, start, SHAPE_ROWS)
            rows = filter_country(res, part, shape(part)[0], partition)
            yield add_lineage(rows, res, fetched, partition, loaded_at)
        part = parsed = None  # every row handed over: the file's columns go before DuckDB commits
        pa.default_memory_pool().release_unused()  # and back to the OS: Arrow's allocator would keep them

    n = replace_partition(con, table=res.table, rows=batches(), source_key=res.id, partition=partition,
                          fingerprint=fingerprint, started=started, **lineage)
    return result(n, skipped=False, dropped=dropped)


def _rows_of(parsed: ParsedTable, start: int, length: int) -> ParsedTable:
    """The same file's rows start..start+length: shaped and loaded one slice at a time. A big file's columns are
    held dictionary-encoded (readers/csv_bulk.py): only this slice is decoded to plain strings."""
    part = parsed.table.slice(start, length)
    columns = [c.cast(pa.string()) if pa.types.is_dictionary(c.type) else c for c in part.columns]
    return dataclasses.replace(parsed, table=pa.table(columns, names=part.column_names))


def resources_for_partition(resources: list[Resource], partition: str) -> list[Resource]:
    """A per-country resource loads only in its country's partition; a multi-country one loads in every partition."""
    if partition == ALL_PARTITIONS:
        return list(resources)
    return [r for r in resources if r.country == partition or (r.country is None and r.country_column)]
