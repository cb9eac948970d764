"""DuckDB's memory, threads and spill directory, from the configuration (`duckdb:` in the config YAML).

Left alone, DuckDB takes 80% of RAM and every core; a multi-million-row refresh then outgrows a laptop.
The settings travel as env vars so the dbt subprocess (dbt_project/profiles.yml) gets the same ones as
this process's connections (lib/warehouse.connect, the DuckDBResource in settings.py).
"""
from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from pipelines.lib.paths import data_dir

ENV_MEMORY_LIMIT = "CLUSTERWATCH_DUCKDB_MEMORY_LIMIT"
ENV_THREADS = "CLUSTERWATCH_DUCKDB_THREADS"
ENV_TEMP_DIRECTORY = "CLUSTERWATCH_DUCKDB_TEMP_DIRECTORY"
ENV_DBT_THREADS = "CLUSTERWATCH_DBT_THREADS"
DEFAULT_TEMP_DIRECTORY = "duckdb_tmp"


class DuckDBSettings(BaseModel):
    """Defaults fit a 2-core, 8 GB laptop: DuckDB keeps 2 GB and spills the rest to disk."""

    model_config = ConfigDict(extra="forbid")

    memory_limit: str = Field("2GB", pattern=r"^\s*\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$",
                              description="most memory one DuckDB connection uses before spilling (e.g. 2GB)")
    threads: int = Field(2, ge=1, description="DuckDB worker threads per connection (the laptop's cores)")
    temp_directory: str = Field(DEFAULT_TEMP_DIRECTORY,
                                description="where DuckDB spills, relative to the data directory")
    dbt_threads: int = Field(2, ge=1, description="dbt nodes run at once inside the one dbt process (one writer, "
                             "one cursor per thread): while one node's SQL runs, dbt prepares the next")

    def temp_path(self) -> Path:
        return (data_dir() / self.temp_directory).resolve()

    def connection_config(self) -> dict[str, str | int]:
        """duckdb.connect(config=...) for any connection to the warehouse."""
        # The same for every opener (dagster-duckdb's resource sets its own user agent unless given one): DuckDB
        # refuses a second connection to an open database with a different configuration.
        return {"memory_limit": self.memory_limit.strip(), "threads": self.threads,
                "temp_directory": str(self.temp_path()), "custom_user_agent": "clusterwatch"}

    def env(self) -> dict[str, str]:
        return {ENV_MEMORY_LIMIT: self.memory_limit.strip(), ENV_THREADS: str(self.threads),
                ENV_TEMP_DIRECTORY: str(self.temp_path()), ENV_DBT_THREADS: str(self.dbt_threads)}


def activate(settings: DuckDBSettings) -> None:
    """Make `settings` this process's (and its subprocesses') DuckDB settings."""
    os.environ.update(settings.env())


def active() -> DuckDBSettings:
    """The settings a configuration activated in this process, else the defaults."""
    default = DuckDBSettings()
    temp = os.environ.get(ENV_TEMP_DIRECTORY)
    return DuckDBSettings(
        memory_limit=os.environ.get(ENV_MEMORY_LIMIT) or default.memory_limit,
        threads=int(os.environ.get(ENV_THREADS) or default.threads),
        temp_directory=temp or default.temp_directory,  # absolute when set: data_dir() / abs == abs
        dbt_threads=int(os.environ.get(ENV_DBT_THREADS) or default.dbt_threads),
    )
