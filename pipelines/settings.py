"""Run settings shared by every asset: which config, which backend. Env vars give working defaults."""
from __future__ import annotations

import os
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.lib.config import Config, ConfigError, load_config
from pipelines.lib.duckdb_settings import active, activate
from pipelines.lib.paths import DEFAULT_CONFIG, warehouse_path

ENV_CONFIG = "CLUSTERWATCH_CONFIG"
ENV_SNAPSHOT = "CLUSTERWATCH_SNAPSHOT"
ENV_LIVE = "CLUSTERWATCH_LIVE"


def config_path_from_env() -> Path:
    return Path(os.environ.get(ENV_CONFIG) or DEFAULT_CONFIG)


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int) -> Config:
    return load_config(path)


def current_config(path: Path | None = None) -> Config:
    """The config in force, re-read when the file changes."""
    path = Path(path or config_path_from_env()).resolve()
    cfg = _load(str(path), path.stat().st_mtime_ns if path.exists() else 0)
    activate(cfg.duckdb)  # every warehouse connection and the dbt subprocess follow the config's limits
    return cfg


class ClusterwatchSettings(dg.ConfigurableResource):
    """Which configuration and which HDX backend a run uses."""

    config_path: str = ""
    snapshot: str = ""
    live: bool = False

    @classmethod
    def from_env(cls) -> "ClusterwatchSettings":
        return cls(
            config_path=str(config_path_from_env()),
            snapshot=os.environ.get(ENV_SNAPSHOT, ""),
            live=os.environ.get(ENV_LIVE, "") in ("1", "true", "yes"),
        )

    def config_file(self) -> Path:
        return Path(self.config_path) if self.config_path else config_path_from_env()

    def config(self) -> Config:
        return current_config(self.config_file())

    def fetcher(self):
        from pipelines.lib.hdx.factory import make_fetcher

        return make_fetcher(self.config(), Path(self.snapshot) if self.snapshot else None, self.live)


def warehouse_resource(*, read_only: bool = False) -> DuckDBResource:
    """The DuckDB warehouse under the data dir. Writers (the raw loads) take the read-write one;
    checks and publish the read-only one. Every asset that opens it shares the `duckdb_warehouse` pool."""
    try:
        duckdb = current_config().duckdb
    except (ConfigError, OSError):  # no readable config yet (a bare code location): the defaults
        duckdb = active()
    duckdb.temp_path().mkdir(parents=True, exist_ok=True)
    return DuckDBResource(
        database=str(warehouse_path()),
        connection_config={**duckdb.connection_config(), **({"access_mode": "READ_ONLY"} if read_only else {})},
    )


@contextmanager
def open_warehouse(resource: DuckDBResource):
    """resource.get_connection(), also closed when the body raises (DuckDBResource closes it only on success):
    a connection left open would lock the dbt subprocess out of the file."""
    with resource.get_connection() as con:
        try:
            yield con
        finally:
            con.close()
