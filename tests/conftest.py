"""Shared fixtures. Tests that need the real HDX files skip cleanly when ../shared is absent."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.lib.paths import shared_snapshot_dir
from tests.dbt_env import dbt_env


@pytest.fixture(autouse=True)
def _no_dagster_state_storage_from_an_earlier_test():
    """Dagster keeps the current instance's definitions-state storage in a context variable, which
    `dg.instance_for_test()` sets and resets. Once, in a full run, it stayed set after test_automation: every later
    test that built definitions read the deleted temporary instance ("unable to open database file"). Each test
    starts without one."""
    from dagster._core.storage.defs_state.base import set_defs_state_storage

    with set_defs_state_storage(None):
        yield


@pytest.fixture(scope="session")
def real_snapshot() -> Path:
    root = shared_snapshot_dir()
    if not (root / "INDEX.md").exists():
        pytest.skip(f"real HDX snapshot not found at {root} (clone the repo with ../shared beside it to run this)")
    return root


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """A private CLUSTERWATCH_DATA_DIR so tests never touch the user's warehouse."""
    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv("CLUSTERWATCH_DATA_DIR", str(d))
    return d


@pytest.fixture(scope="session")
def real_dbt_build(real_snapshot, tmp_path_factory) -> dict:
    """Once per session: `clusterwatch ingest` of the real snapshot, then a full `dbt build` with the vars a
    Dagster run passes. Mart tests share it; they open the warehouse read-only."""
    import subprocess
    import sys
    import time

    from pipelines.lib.paths import CONFIG_DIR, DBT_PROJECT_DIR, REPO_ROOT
    from pipelines.settings import ClusterwatchSettings
    from pipelines.transform.dbt_assets import dbt_vars

    config = CONFIG_DIR / "hdx_snapshot.yaml"
    bin_dir = Path(sys.executable).parent
    work = tmp_path_factory.mktemp("real_dbt_build")
    env = dbt_env(work)

    def run(cmd, what):
        proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1800)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + "\n" + proc.stderr).splitlines()[-60:])
            pytest.fail(f"{what} failed (exit {proc.returncode}):\n{tail}")
        return proc

    run([str(bin_dir / "clusterwatch"), "ingest", "--config", str(config), "--snapshot", str(real_snapshot)], "ingest")
    started = time.perf_counter()
    proc = run(
        [
            str(bin_dir / "dbt"), "build",
            "--vars", json.dumps(dbt_vars(ClusterwatchSettings(config_path=str(config)))),
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        ],
        "dbt build",
    )
    return {
        "warehouse": work / "warehouse.duckdb",
        "snapshot": real_snapshot,
        "dbt_seconds": time.perf_counter() - started,
        "dbt_log": proc.stdout,
    }


@pytest.fixture(scope="session")
def real_published(real_snapshot, tmp_path_factory) -> Path:
    """Once per session: a real `clusterwatch refresh` of the real snapshot; returns its data dir (published/ in
    it, with the site). The site and publish-hdx tests share it; they only read it."""
    from pipelines.lib.paths import CONFIG_DIR
    from tests.test_quality import refresh

    data = tmp_path_factory.mktemp("real_published") / "data"
    code, out = refresh(data, "--config", str(CONFIG_DIR / "hdx_snapshot.yaml"), "--snapshot", str(real_snapshot))
    if code != 0:
        pytest.fail(f"real refresh failed (exit {code}):\n{out[-4000:]}")
    return data
