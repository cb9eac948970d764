"""Runs a killed or interrupted `clusterwatch refresh` left in progress: marked failed at the next start.

`clusterwatch refresh` executes its Dagster runs in its own process, tagged `clusterwatch/trigger: cli`,
while it holds the writer lock (lib/warehouse.writer_lock). So whenever a process holds that lock, a CLI
run still NOT_STARTED, STARTING, STARTED or CANCELING cannot be running: the process that ran it died
(SIGKILL, a closed terminal, a disk so full that Dagster could not record the failure). `refresh` marks
them failed before it starts; `status` does too when no refresh holds the lock.
Runs launched by the Dagster daemon (schedule, sensor, UI) run in processes of their own and are not
marked here: the default run launcher cannot tell whether their worker is alive.
"""
from __future__ import annotations

import datetime as dt
import fcntl
from contextlib import contextmanager

import dagster as dg

TRIGGER_TAG = "clusterwatch/trigger"  # as pipelines/schedules.py (not imported: it loads the config)
UNFINISHED = [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
              dg.DagsterRunStatus.CANCELING]


def mark_interrupted_runs(instance, *, say=None) -> list[str]:
    """Mark the CLI runs left unfinished as failed, with a message. Call only while holding the writer lock.
    Returns their run ids."""
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=UNFINISHED, tags={TRIGGER_TAG: "cli"}))
    marked = []
    for run in runs:
        record = instance.get_run_record_by_id(run.run_id)
        started = record.create_timestamp.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if record else "?"
        instance.report_run_failed(
            run,
            message=f"clusterwatch: marked failed at the next start ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}): "
            f"the process running it (started {started}) ended without finishing it: killed, interrupted or out "
            "of disk space. What it had not published stays unpublished.",
        )
        marked.append(run.run_id)
        if say:
            say(f"run {run.run_id[:8]} (started {started}) was interrupted: marked failed")
    return marked


@contextmanager
def writer_lock_if_free():
    """The writer lock when no refresh holds it (yields True), else yields False at once: never waits."""
    from pipelines.lib.paths import warehouse_path
    from pipelines.lib.warehouse import WRITER_LOCK

    path = warehouse_path().with_name(WRITER_LOCK)
    if not path.parent.exists():
        yield False
        return
    with open(path, "a+") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
