"""The DuckDB warehouse: connections, the raw schema, and the load log.

Raw tables are all-VARCHAR copies of the source rows plus lineage columns. A reload of one
resource's partition replaces its rows in a single transaction, so a failed load leaves the
previous rows in place.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import itertools
import os
import threading
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.lib.paths import warehouse_path
from pipelines.lib.sql import quote_ident

LINEAGE_COLUMNS = (
    "_dataset_id",
    "_resource_id",
    "_resource_modified",
    "_source_file",
    "_source_sha256",
    "_row_number",
    "_loaded_at",
    "_source_key",
    "_partition",
    "_number_format",  # the resource's config number_format: dbt's parse_count reads figures by it
)
ALL_PARTITIONS = "all"  # _partition value for sources that are not split by country

_LOADS_DDL = """
create table if not exists raw._loads (
    source_key varchar not null,
    partition varchar not null,
    table_name varchar not null,
    source_sha256 varchar not null,
    fingerprint varchar not null,
    row_count bigint not null,
    dataset_id varchar,
    resource_id varchar,
    resource_modified varchar,
    source_file varchar,
    loaded_at timestamp not null,
    seconds double,
    primary key (source_key, partition)
)
"""


WRITER_LOCK = "warehouse.lock"
_writer_guard = threading.RLock()
_writer_depth = 0
_writer_file = None


@contextmanager
def writer_lock(path: Path | None = None, *, say=None, poll_seconds: float = 0.5):
    """Hold the warehouse for one process at a time: an fcntl lock on `<data dir>/warehouse.lock`.

    DuckDB lets one process open a database file for writing (readers in other processes are refused
    too), so two `clusterwatch refresh`/`ingest` commands started together would fail with a lock
    error. They take this lock first: the second waits, saying so, and runs when the first is done.
    Runs launched by the Dagster daemon are serialised by the `duckdb_warehouse` pool instead.
    Re-entrant within a process, so code already holding it can call code that takes it again.
    """
    global _writer_depth, _writer_file
    with _writer_guard:
        if _writer_depth == 0:
            lock_path = Path(path) if path else Path(warehouse_path()).with_name(WRITER_LOCK)
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            f = open(lock_path, "a+")
            try:
                try:
                    fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    f.seek(0)
                    holder = f.read().strip() or "another process"
                    if say:
                        say(f"waiting for {holder} to finish with the warehouse ({lock_path}) ...")
                    started = time.monotonic()
                    while True:
                        try:
                            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                            break
                        except BlockingIOError:
                            time.sleep(poll_seconds)
                    if say:
                        say(f"got the warehouse after waiting {time.monotonic() - started:.1f}s")
                f.seek(0)
                f.truncate()
                f.write(f"pid {os.getpid()} since {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} UTC")
                f.flush()
            except BaseException:
                f.close()
                raise
            _writer_file = f
        _writer_depth += 1
        try:
            yield
        finally:
            _writer_depth -= 1
            if _writer_depth == 0:
                f, _writer_file = _writer_file, None
                try:
                    f.seek(0)
                    f.truncate()
                    fcntl.flock(f.fileno(), fcntl.LOCK_UN)
                finally:
                    f.close()


@contextmanager
def connect(path: Path | None = None, *, read_only: bool = False):
    path = Path(path or warehouse_path())
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    from pipelines.lib.duckdb_settings import active

    settings = active()
    settings.temp_path().mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only, config=settings.connection_config())
    try:
        yield con
    finally:
        con.close()


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema, the load log, and every contract table (empty until first loaded)."""
    from pipelines.lib.raw_tables import RAW_TABLES

    from pipelines.lib.load_failures import ensure_load_failures

    con.execute("create schema if not exists raw")
    # Where the p-code lookup was written before it became the dbt models int_admin_lookup/int_admin_units:
    # a stale copy that nothing reads any more.
    con.execute("drop schema if exists normalised cascade")
    con.execute(_LOADS_DDL)
    ensure_load_failures(con)
    have = raw_columns(con)
    for table, columns in RAW_TABLES.items():
        _sync_columns(con, table, [*columns, *LINEAGE_COLUMNS], have.get(table))


def catalog_columns(con, schemas: list[str], table: str | None = None
                    ) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(schema, table) -> its (column, type) in order, for every table of `schemas` (or one table), from one
    catalog query: asking table by table cost 10-200 ms a table once dbt's views were in the warehouse."""
    sql = ("select schema_name, table_name, column_name, data_type from duckdb_columns() "
           "where database_name = current_database() and schema_name in (select unnest(?::varchar[]))")
    params: list = [list(schemas)]
    if table is not None:
        sql, params = sql + " and table_name = ?", [*params, table]
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, name, column, data_type in con.execute(sql + " order by schema_name, table_name, column_index",
                                                        params).fetchall():
        out.setdefault((schema, name), []).append((column, data_type))
    return out


def raw_columns(con, table: str | None = None) -> dict[str, list[str]]:
    """The column names of every raw table (or of one). Every load checks the 17 contract tables."""
    return {name: [c for c, _ in cols] for (_, name), cols in catalog_columns(con, ["raw"], table).items()}


@dataclass(frozen=True)
class LoadRecord:
    source_sha256: str
    fingerprint: str
    row_count: int


def last_load(con, source_key: str, partition: str) -> LoadRecord | None:
    row = con.execute(
        "select source_sha256, fingerprint, row_count from raw._loads where source_key = ? and partition = ?",
        [source_key, partition],
    ).fetchone()
    return LoadRecord(*row) if row else None


def _sync_columns(con, table: str, columns: list[str], have: list[str] | None) -> None:
    """Create the raw table, or add columns a newer file brought (schema drift is normal on HDX). `have`: the
    table's columns as raw_columns() gives them, None when there is no such table."""
    qualified = f"raw.{quote_ident(table)}"
    if have is None:
        cols = ", ".join(
            f"{quote_ident(c)} {'bigint' if c == '_row_number' else 'timestamp' if c == '_loaded_at' else 'varchar'}"
            for c in columns
        )
        con.execute(f"create table {qualified} ({cols})")
        return
    present = set(have)
    for c in columns:
        if c not in present:
            con.execute(f"alter table {qualified} add column {quote_ident(c)} varchar")


def replace_partition(
    con,
    *,
    table: str,
    rows: pa.Table | Iterable[pa.Table],
    source_key: str,
    partition: str,
    source_sha256: str,
    fingerprint: str,
    dataset_id: str,
    resource_id: str,
    resource_modified: str | None,
    source_file: str,
    started: float | None = None,
) -> int:
    """Replace one resource's rows for one partition, and log the load, in one transaction. `rows`: a table, or
    tables of the same columns one after another (a big file, inserted a slice at a time). `started`: the load's
    time.perf_counter() at its start, for the seconds the load log records."""
    batches = iter([rows] if isinstance(rows, pa.Table) else rows)
    first = next(batches)
    columns = first.column_names
    batches = itertools.chain([first], batches)
    del first  # the chain holds it until it is inserted, then lets it go
    n = 0
    ensure_raw_schema(con)
    with transaction(con):
        _sync_columns(con, table, columns, raw_columns(con, table).get(table))
        con.execute(
            f"delete from raw.{quote_ident(table)} where _source_key = ? and _partition = ?", [source_key, partition]
        )
        for batch in batches:
            # As a stream: a registered table would stay in memory until the commit, every slice of the file.
            con.register("_incoming", pa.RecordBatchReader.from_batches(batch.schema, batch.to_batches()))
            try:
                con.execute(f"insert into raw.{quote_ident(table)} by name select * from _incoming")
            finally:
                con.unregister("_incoming")
            n += batch.num_rows
        _drop_unmapped_columns(con, table, columns)
        loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        con.execute(
            "insert or replace into raw._loads values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [source_key, partition, table, source_sha256, fingerprint, n, dataset_id, resource_id,
             resource_modified, source_file, loaded_at, None if started is None else time.perf_counter() - started],
        )
    return n


def _drop_unmapped_columns(con, table: str, incoming: list[str]) -> None:
    """Drop columns outside the table's contract once no row holds a value in them (loaded by an older version
    that kept every column of a file): what is not mapped does not stay in the warehouse either."""
    from pipelines.lib.raw_tables import is_mapped

    have = raw_columns(con, table).get(table, [])
    stale = [c for c in have if c not in incoming and c not in LINEAGE_COLUMNS and not is_mapped(table, c)]
    for c in stale:
        qualified = f"raw.{quote_ident(table)}"
        if con.execute(f"select count({quote_ident(c)}) from {qualified}").fetchone()[0] == 0:
            con.execute(f"alter table {qualified} drop column {quote_ident(c)}")


_in_transaction: set[int] = set()  # id() of the connections inside a transaction() block


@contextmanager
def transaction(con):
    """Everything in the block commits together, or nothing does (the error goes on).

    A block inside another one on the same connection joins it: the outermost block commits or rolls back
    (a country partition's loads are one transaction, sources/raw_asset.py)."""
    if id(con) in _in_transaction:
        yield con
        return
    con.execute("begin transaction")
    _in_transaction.add(id(con))
    try:
        yield con
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        _in_transaction.discard(id(con))


def table_row_counts(con, schema: str = "raw") -> dict[str, int]:
    names = [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? and not starts_with(table_name, '_') order by 1",
            [schema],
        ).fetchall()
    ]
    return {n: con.execute(f"select count(*) from {schema}.{quote_ident(n)}").fetchone()[0] for n in names}
