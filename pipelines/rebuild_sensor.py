"""Automation, part 3: rebuild what depends on changed raw data, once the source runs have finished.

The daily schedule and the HDX sensor load sources only. This sensor then compares Dagster's data versions
of the raw assets, the code and the day with what the last good downstream run was built from, by the same
rule as `clusterwatch refresh` (changes.plan_rebuild):

- something changed -> one run of the dbt models, checks and publication downstream of it, tagged with what
  it is built from; the run key is that state, so a state is built once;
- nothing changed (a day on which no file changed, a run of the CLI that already built it) -> a SkipReason:
  no dbt, no check, no new published version;
- a run of the refresh job is queued or in progress -> wait: the data versions are not final yet;
- no source was ever loaded -> nothing to build.

It runs by default (the daemon of `clusterwatch ui` evaluates it): without it, the schedule would load files
that nothing publishes. Interval: config `schedule.rebuild_interval_seconds`.
"""
from __future__ import annotations

import hashlib
import json

import dagster as dg

from pipelines.schedules import STAGE_TAG, TRIGGER_TAG, _asset_graph, refresh_job
from pipelines.settings import ClusterwatchSettings, current_config

SENSOR_NAME = "rebuild_changed"
_UNFINISHED = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
               dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def _interval() -> int:
    return current_config().schedule.rebuild_interval_seconds


def _run_key(current: dict[str, str]) -> str:
    return "rebuild-" + hashlib.sha256(json.dumps(current, sort_keys=True).encode()).hexdigest()[:16]


def rebuild_request(context, settings: ClusterwatchSettings) -> dg.RunRequest | dg.SkipReason:
    from pipelines.changes import downstream_tags, plan_rebuild
    from pipelines.interrupted import writer_lock_if_free
    from pipelines.sources import RAW_ASSETS

    instance = context.instance
    unfinished = instance.get_runs(filters=dg.RunsFilter(job_name=refresh_job.name, statuses=_UNFINISHED), limit=1)
    if unfinished:
        return dg.SkipReason(f"run {unfinished[0].run_id[:8]} is not finished: waiting for the data to settle")
    cfg = settings.config()
    with writer_lock_if_free() as free:  # the plan reads the warehouse's load failures: not while the CLI writes
        if not free:
            return dg.SkipReason("a `clusterwatch refresh` is writing the warehouse: it rebuilds what it loads")
        plan = plan_rebuild(instance, cfg, settings.config_file(), RAW_ASSETS)
    if plan.nothing_loaded:
        return dg.SkipReason("no source has been loaded yet: nothing to build")
    if plan.nothing_to_do:
        return dg.SkipReason("nothing changed since the last build: no dbt, checks or publication needed")
    graph = _asset_graph(context)
    keys = plan.assets(graph, {a.key for a in RAW_ASSETS})
    if not keys:
        return dg.SkipReason(f"changed: {plan.describe()}, but nothing in this code location depends on it")
    context.log.info(f"changed: {plan.describe()}; rebuilding {len(keys)} assets")
    return dg.RunRequest(run_key=_run_key(plan.current), asset_selection=keys,
                         tags={**downstream_tags(plan.current), TRIGGER_TAG: "sensor", STAGE_TAG: "downstream"})


@dg.sensor(
    name=SENSOR_NAME,
    target=refresh_job,
    minimum_interval_seconds=_interval(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After source runs finish: rebuilds, checks and publishes what depends on raw data whose Dagster "
    "data version changed (or everything when the code or config changed, or what reads as_of on a new day). "
    "Nothing changed: no run. Interval: config `schedule.rebuild_interval_seconds`.",
)
def rebuild_changed(context: dg.SensorEvaluationContext, settings: ClusterwatchSettings):
    return rebuild_request(context, settings)
