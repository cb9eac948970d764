"""Runs a killed `clusterwatch refresh` left in progress are marked failed at the next start (issue 14).

- a refresh killed (SIGKILL) while its first Dagster run is in progress: `clusterwatch status` marks that run
  failed with a message, and says so;
- the marking itself: only CLI runs, and only those not finished; a refresh holding the writer lock marks them.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dagster as dg
import pytest

from pipelines.interrupted import mark_interrupted_runs, writer_lock_if_free

REPO = Path(__file__).resolve().parents[1]


def instance_at(data_dir: Path) -> dg.DagsterInstance:
    from pipelines.instance import open_instance

    home = data_dir / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_bytes((REPO / "dagster.yaml").read_bytes())
    return open_instance(home)


def add_run(instance, status: dg.DagsterRunStatus, trigger: str) -> str:
    from dagster._core.storage.dagster_run import DagsterRun

    run_id = str(uuid.uuid4())
    instance.add_run(DagsterRun(job_name="refresh_all", run_id=run_id, status=status,
                                tags={"clusterwatch/trigger": trigger}))
    return run_id


def test_only_unfinished_cli_runs_are_marked_failed_with_a_message(tmp_path):
    instance = instance_at(tmp_path / "data")
    started = add_run(instance, dg.DagsterRunStatus.STARTED, "cli")
    starting = add_run(instance, dg.DagsterRunStatus.STARTING, "cli")
    done = add_run(instance, dg.DagsterRunStatus.SUCCESS, "cli")
    daemon = add_run(instance, dg.DagsterRunStatus.STARTED, "schedule")  # another process's: run monitoring's
    said = []
    assert sorted(mark_interrupted_runs(instance, say=said.append)) == sorted([started, starting])
    status = {r: instance.get_run_by_id(r).status for r in (started, starting, done, daemon)}
    assert status == {started: dg.DagsterRunStatus.FAILURE, starting: dg.DagsterRunStatus.FAILURE,
                      done: dg.DagsterRunStatus.SUCCESS, daemon: dg.DagsterRunStatus.STARTED}
    (event,) = instance.all_logs(started, of_type=dg.DagsterEventType.RUN_FAILURE)
    assert "marked failed at the next start" in event.message and "killed, interrupted" in event.message
    assert len(said) == 2 and all("interrupted: marked failed" in s for s in said)
    assert mark_interrupted_runs(instance) == []  # once
    instance.dispose()


def test_status_leaves_runs_alone_while_a_refresh_holds_the_writer_lock(tmp_path, monkeypatch):
    from pipelines.lib.warehouse import writer_lock

    monkeypatch.setenv("CLUSTERWATCH_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom pipelines.lib.warehouse import writer_lock\n"
         "with writer_lock():\n    print('held', flush=True)\n    time.sleep(60)"],
        cwd=REPO, env={**os.environ, "CLUSTERWATCH_DATA_DIR": str(tmp_path / "data")}, stdout=subprocess.PIPE,
        text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with writer_lock_if_free() as free:
            assert free is False
    finally:
        holder.kill()
        holder.wait()
    with writer_lock_if_free() as free:
        assert free is True
    with writer_lock():  # re-entrant for the holder, never for another open of the lock file
        pass


@pytest.mark.slow
def test_a_killed_refresh_leaves_a_run_that_status_marks_failed(tmp_path):
    """SIGKILL of `clusterwatch refresh` while its first run is in progress; the next `status` marks it."""
    data = tmp_path / "data"
    env = {**os.environ, "CLUSTERWATCH_DATA_DIR": str(data)}
    for var in ("CLUSTERWATCH_CONFIG", "CLUSTERWATCH_SNAPSHOT", "CLUSTERWATCH_LIVE"):
        env.pop(var, None)
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "refresh"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        # the first run's event log appears when it starts (files only: opening the instance while the
        # refresh creates it would race with its schema migration); a country run lasts seconds
        deadline = time.monotonic() + 600
        while not list((data / "dagster" / "history" / "runs").glob("*-*-*-*-*.db")) and time.monotonic() < deadline:
            assert proc.poll() is None, "the refresh ended before its first run"
            time.sleep(0.1)
        instance = instance_at(data)  # created by now
        while not instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
            assert proc.poll() is None, "the refresh ended before a run was seen in progress"
            if time.monotonic() >= deadline:  # a hang guard, not a timing check
                pytest.fail("no run was seen in progress")
            time.sleep(0.1)
        instance.dispose()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    instance = instance_at(data)
    unfinished = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    assert len(unfinished) == 1, [(r.run_id[:8], r.status) for r in instance.get_runs()]
    victim = unfinished[0].run_id
    instance.dispose()
    status = subprocess.run([sys.executable, "-m", "pipelines.cli", "status"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=300)
    assert status.returncode == 1 and "Traceback" not in status.stdout + status.stderr
    assert f"{victim[:8]}  FAILURE" in status.stdout, status.stdout
    assert "marked failed at the next start" in status.stdout, status.stdout
    instance = instance_at(data)
    assert instance.get_run_by_id(victim).status == dg.DagsterRunStatus.FAILURE
    instance.dispose()
