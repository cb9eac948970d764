"""The refresh's warm dbt process (pipelines/transform/dbt_server.py): clusterwatch-dbt hands it a command and
gets dbt's output and exit code, as if it had run dbt itself; it never outlives its refresh."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from pipelines.lib.paths import DBT_PROJECT_DIR, REPO_ROOT
from pipelines.transform.dbt_server import SERVER_ENV, WarmDbt, delegate
from pipelines.transform.project import dbt_executable
from tests import dbt_env as test_env


def _warm(tmp_path, env) -> WarmDbt:
    dbt_vars = {"countries": ["TCD"]}
    return WarmDbt(["parse", "--quiet", "--vars", json.dumps(dbt_vars), "--target-path", str(tmp_path / "parse")],
                   DBT_PROJECT_DIR, env, tmp_path / "published" / "manifest.json")


def _dbt(args: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([dbt_executable(), *args], env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True,
                          timeout=600, **kwargs)


def test_a_command_runs_in_the_warm_process_on_its_parse(tmp_path):
    env = {**test_env.dbt_env(tmp_path), "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)}
    warm = _warm(tmp_path, env)
    try:
        assert warm.wait_parsed()
        assert json.loads((tmp_path / "published" / "manifest.json").read_text())["nodes"]  # for the definitions
        target = tmp_path / "build"
        args = ["--log-format", "json", "seed", "--select", "cluster_folding", "--vars",
                json.dumps({"countries": ["TCD"]}), "--target-path", str(target)]
        ran = _dbt(args, {**env, SERVER_ENV: warm.path})
        assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
        assert warm._proc.wait(timeout=60) == 0  # one command, then it ends
    finally:
        warm.close()
    events = [json.loads(line) for line in ran.stdout.splitlines() if line.startswith("{")]
    assert any(e["info"]["name"] == "LogSeedResult" for e in events)  # dbt's output reached the client's stdout
    results = json.loads((target / "run_results.json").read_text())["results"]
    assert {r["status"] for r in results} == {"success"}
    assert not (target / "partial_parse.msgpack").exists()  # the warm parse was used: dbt did not parse again
    assert not (tmp_path / "warehouse.duckdb.wal").exists()  # the warehouse was closed before the client ended
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from reference.cluster_folding").fetchone()[0] > 0


def test_a_failing_command_gives_dbts_exit_code_and_output(tmp_path):
    env = {**test_env.dbt_env(tmp_path), "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)}
    args = ["show", "--inline", "select * from no_such_table"]
    cold = _dbt(args, env)
    warm = _warm(tmp_path, env)
    try:
        served = _dbt(args, {**env, SERVER_ENV: warm.path})
    finally:
        warm.close()
    assert served.returncode == cold.returncode != 0
    assert "no_such_table" in served.stdout and "no_such_table" in cold.stdout


def test_without_a_warm_process_clusterwatch_dbt_runs_dbt_itself(tmp_path, monkeypatch):
    monkeypatch.delenv(SERVER_ENV, raising=False)
    assert delegate(["--version"]) is None
    monkeypatch.setenv(SERVER_ENV, str(tmp_path / "gone.sock"))  # a refresh that ended
    assert delegate(["--version"]) is None
    ran = _dbt(["--version"], {**os.environ, SERVER_ENV: str(tmp_path / "gone.sock")})
    assert ran.returncode == 0 and "Core" in ran.stdout + ran.stderr


def test_the_warm_process_ends_with_its_refresh_process(tmp_path):
    """A refresh killed before its build: the warm process it started does not stay behind."""
    script = textwrap.dedent("""
        import os, sys
        from pathlib import Path
        from pipelines.transform.dbt_server import WarmDbt
        from pipelines.lib.paths import DBT_PROJECT_DIR
        work = Path(sys.argv[1])
        warm = WarmDbt(["parse", "--quiet", "--target-path", str(work / "parse")], DBT_PROJECT_DIR, {},
                       work / "manifest.json")
        print(warm._proc.pid, flush=True)
        warm.wait_parsed()
        os._exit(9)  # killed: no close()
    """)
    env = {**test_env.dbt_env(tmp_path), "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)}
    parent = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert parent.returncode == 9, parent.stderr[-3000:]
    pid = int(parent.stdout.split()[0])
    for _ in range(600):  # it checks for its parent every second
        if not _alive(pid):
            break
        time.sleep(0.1)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture(autouse=True)
def _no_inherited_server(monkeypatch):
    monkeypatch.delenv(SERVER_ENV, raising=False)


def test_a_warm_process_that_cannot_start_leaves_dbt_to_run_itself(monkeypatch):
    """No process to be had (or no temporary folder): the refresh goes on without one, as before it existed."""
    from pipelines.transform import dbt_server, project

    def no_process(*args, **kwargs):
        raise OSError("no more processes")

    monkeypatch.setattr(dbt_server.subprocess, "Popen", no_process)
    assert project.start_warm_dbt() is None
    assert SERVER_ENV not in os.environ
