"""raw._load_failures: the source files whose last load failed, kept until a later load of them succeeds.

A raw asset's partition loads all or nothing (sources/raw_asset.py): when one of its files fails, the
partition's previous rows stay and the marts are built from them. This table says so: dbt turns each row into a
quality issue (int_quality_issues__loads), so the published quality_issues name the country, file and reason.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

_DDL = """
create table if not exists raw._load_failures (
    source_key varchar not null,
    partition varchar not null,
    kind varchar not null,
    table_name varchar not null,
    dataset_id varchar,
    source_file varchar,
    reason varchar not null,
    last_good_loaded_at timestamp,
    failed_at timestamp not null,
    primary key (source_key, partition)
)
"""


@dataclass(frozen=True)
class LoadFailure:
    source_key: str
    partition: str
    kind: str
    table_name: str
    dataset_id: str | None
    source_file: str | None
    reason: str


def ensure_load_failures(con) -> None:
    con.execute("create schema if not exists raw")
    con.execute(_DDL)


def record_failures(con, failures: list[LoadFailure]) -> None:
    """Replace the failure rows of these resources and partitions (with when their rows were last loaded)."""
    ensure_load_failures(con)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for f in failures:
        last = con.execute("select loaded_at from raw._loads where source_key = ? and partition = ?",
                           [f.source_key, f.partition]).fetchone()
        con.execute("insert or replace into raw._load_failures values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [f.source_key, f.partition, f.kind, f.table_name, f.dataset_id, f.source_file, f.reason,
                     last[0] if last else None, now])


def clear_failures(con, source_keys: list[str], partition: str) -> None:
    """These resources loaded (or were unchanged) in this partition: they no longer fail."""
    ensure_load_failures(con)
    if source_keys:
        con.execute("delete from raw._load_failures where partition = ? and list_contains(?, source_key)",
                    [partition, source_keys])


def current_failures(con) -> list[tuple]:
    """(source_key, partition, file, reason) of every failing resource; [] before the table exists."""
    exists = con.execute("select count(*) from information_schema.tables "
                         "where table_schema = 'raw' and table_name = '_load_failures'").fetchone()[0]
    if not exists:
        return []
    return con.execute("select source_key, partition, source_file, reason from raw._load_failures "
                       "order by partition, source_key").fetchall()
