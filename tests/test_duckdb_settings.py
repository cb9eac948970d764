"""DuckDB's memory limit, threads and spill directory come from the config, on every warehouse connection."""
from __future__ import annotations

import json
import os
import subprocess
import textwrap

import pytest

from pipelines.lib.config import ConfigError, load_config
from pipelines.lib.duckdb_settings import DuckDBSettings, active
from pipelines.lib.paths import CONFIG_DIR, DBT_PROJECT_DIR
from pipelines.transform.project import dbt_env, dbt_executable
from tests import dbt_env as test_env


def _config_with(tmp_path, duckdb_yaml: str):
    base = (CONFIG_DIR / "sample.yaml").read_text(encoding="utf-8")
    p = tmp_path / "with_duckdb.yaml"
    p.write_text(base + "\n" + textwrap.dedent(duckdb_yaml), encoding="utf-8")
    return p


def _settings_of(con) -> tuple[str, int, str]:
    return con.execute("select current_setting('memory_limit'), current_setting('threads'),"
                       " current_setting('temp_directory')").fetchone()


def test_defaults_fit_a_small_laptop():
    s = DuckDBSettings()
    assert (s.memory_limit, s.threads) == ("2GB", 2)


def test_bad_memory_limit_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="memory_limit"):
        load_config(_config_with(tmp_path, "duckdb:\n  memory_limit: lots\n"))


def test_every_warehouse_connection_follows_the_config(tmp_path, data_dir, monkeypatch):
    from pipelines.lib.warehouse import connect
    from pipelines.settings import current_config, open_warehouse, warehouse_resource

    for var in ("CLUSTERWATCH_DUCKDB_MEMORY_LIMIT", "CLUSTERWATCH_DUCKDB_THREADS", "CLUSTERWATCH_DUCKDB_TEMP_DIRECTORY"):
        monkeypatch.delenv(var, raising=False)
    cfg_path = _config_with(tmp_path, "duckdb:\n  memory_limit: 300MB\n  threads: 1\n  temp_directory: spill\n")
    monkeypatch.setenv("CLUSTERWATCH_CONFIG", str(cfg_path))
    cfg = current_config()
    assert cfg.duckdb.memory_limit == "300MB"
    assert active() == DuckDBSettings(memory_limit="300MB", threads=1, temp_directory=str(data_dir / "spill"))

    with connect() as con:
        memory, threads, temp = _settings_of(con)
    # DuckDB reports the limit in its own units (300MB -> 286.1 MiB).
    assert memory.startswith("286") and int(threads) == 1 and temp == str(data_dir / "spill")
    for read_only in (False, True):
        with open_warehouse(warehouse_resource(read_only=read_only)) as con:
            assert _settings_of(con) == (memory, threads, temp)
    # One configuration for every writer: with the warehouse held open (the refresh, while its sources load),
    # the steps' connections and connect() join the open database; DuckDB refuses one with another configuration.
    with open_warehouse(warehouse_resource()) as held, connect() as joined:
        held.execute("create table held_open as select 42 as answer")
        assert joined.execute("select answer from held_open").fetchone() == (42,)
        with open_warehouse(warehouse_resource()) as step:
            assert step.execute("select answer from held_open").fetchone() == (42,)

    # dbt's profile reads the same settings from the env the dbt steps get.
    env = {**test_env.dbt_env(tmp_path / "dbt"), **dbt_env()}
    out = subprocess.run(
        [dbt_executable(), "show", "--inline",
         "select current_setting('memory_limit') as m, current_setting('threads') as t,"
         " current_setting('temp_directory') as d",
         "--output", "json", "--log-format", "json", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR)],
        env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    shown = [json.loads(line)["data"]["preview"] for line in out.stdout.splitlines()
             if line.startswith("{") and '"preview"' in line]
    row = json.loads(shown[0])[0]
    assert (row["m"], int(row["t"]), row["d"]) == (memory, 1, temp)
    assert os.environ["CLUSTERWATCH_DUCKDB_THREADS"] == "1"
