"""Dagster's SQLite event log, with its connections kept open (dagster.yaml names this class).

The stock SqliteEventLogStorage builds a new SQLAlchemy engine, opens the file, commits and disposes for every
event, and once more per asset-check event to ask whether a table exists. A refresh writes about 1,300 events
(one per dbt test, planned and evaluated), and on this stack that cost about 10 ms an event: over 10 s of a
real-snapshot refresh. Each run's new file is also a copy of one made once (per Dagster version) instead of
tables created and alembic stamped again, about 70 ms a run. Same files, same schema: the Dagster UI and the
stock class read them unchanged. A shared instance should use Postgres instead (docs/operations.md).
"""
from __future__ import annotations

import os
import shutil
from collections import OrderedDict
from contextlib import contextmanager

import sqlalchemy as db
from dagster._config import StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME, SQLITE_BUSY_TIMEOUT_SECONDS, SqliteEventLogStorage,
)
from dagster.version import __version__ as DAGSTER_VERSION

# The index shard and the few runs being written or read; an older run's engine is disposed (file handles).
OPEN_SHARDS = 8


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """One engine per shard (the run's file, the index), kept while in use. `synchronous=NORMAL` is SQLite's
    advice for WAL databases: a commit survives a crash of the process, only a power cut can lose the last
    few events, and it never corrupts the file."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, db.Engine] = OrderedDict()
        self._tables: set[str] = set()
        super().__init__(base_dir, inst_data)

    @classmethod
    def config_type(cls):
        return {"instance_dir": StringSource}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        # Where the stock class keeps its files under an instance directory, so switching either way is seamless.
        return cls(os.path.join(config_value["instance_dir"], "history", "runs"), inst_data=inst_data)

    def _engine(self, shard: str) -> db.Engine:
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = db.create_engine(self.conn_string_for_shard(shard), pool_size=1,
                                  connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False})
        db.event.listen(engine, "connect", _set_synchronous_normal)
        self._engines[shard] = engine
        while len(self._engines) > OPEN_SHARDS:
            self._engines.popitem(last=False)[1].dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str):
        with self._db_lock:  # as the stock class: one connection at a time (the watcher thread shares it)
            if shard not in self._initialized_dbs and self._copy_template(shard):
                self._initialized_dbs.add(shard)
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _copy_template(self, shard: str) -> bool:
        """A new run's file as a copy of the empty one made by _initdb for this Dagster version. Linked into place
        only if absent, so a file another process made first (the UI reading the run) is never replaced."""
        path = self.path_for_shard(shard)
        if shard == INDEX_SHARD_NAME or os.path.exists(path):
            return False
        template = os.path.join(self._base_dir, f".run-template-{DAGSTER_VERSION}.db")
        if not os.path.exists(template):
            self._make_file(template)
        staged = f"{path}.{os.getpid()}.tmp"
        shutil.copyfile(template, staged)
        try:
            os.link(staged, path)
        except OSError:  # made meanwhile by another process, or no hard links here: the stock way below
            return False
        finally:
            os.unlink(staged)
        return True

    def _make_file(self, path: str) -> None:
        """An empty event-log file as the stock class makes it (tables, WAL, alembic stamp), created whole."""
        staged = f"{path}.{os.getpid()}.tmp"
        engine = db.create_engine(f"sqlite:///{staged}", poolclass=db.pool.NullPool)
        try:
            self._initdb(engine)
        finally:
            engine.dispose()
        os.replace(staged, path)

    def has_table(self, table_name: str) -> bool:
        # Tables are only ever added (by a migration), so a table once seen stays.
        if table_name not in self._tables and super().has_table(table_name):
            self._tables.add(table_name)
        return table_name in self._tables

    def _dispose_engines(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self._dispose_engines()  # before the stock class deletes the files
        self._tables.clear()
        super().wipe()

    def upgrade(self) -> None:
        self._tables.clear()
        super().upgrade()

    def dispose(self) -> None:
        super().dispose()
        self._dispose_engines()


def _set_synchronous_normal(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")
