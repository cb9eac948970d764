"""Automation, part 2: a sensor that refreshes what changed on HDX (or in the snapshot folder).

Every `schedule.sensor_interval_seconds` (config) the sensor asks the configured backend for the state of
every configured resource: `Fetcher.state(res)`, cheap metadata and no download. Live, that is the
dataset's `metadata_modified` and the resource's `last_modified` (hdx-python-api); in a snapshot folder,
the file's size and modification time. The cursor remembers one fingerprint per resource id (JSON).

What a change triggers:

- a per-country source (a 3W/4W file, a country's needs file) -> a run of that country's partition of
  the per-country sources;
- a multi-country source (HNO or JIAF table split by a country column) -> a run for every configured
  country;
- a global source (FTS, p-codes, population, vocabularies) -> a run of the global sources;
- then, once they have loaded, the rebuild_changed sensor (pipelines/rebuild_sensor.py) requests one run of
  what depends on the raw data that changed: dbt models, checks, publish;
- a resource that is new in the config counts as changed; one removed from the config is forgotten;
- nothing changed -> a SkipReason, no run.

The first tick (empty cursor) records a baseline and requests nothing: when the sensor is switched on it
cannot know whether the warehouse already reflects the files, and a surprise full refresh is worse than
waiting for the daily schedule or running `clusterwatch refresh` once. A resource whose state cannot be
read (HDX down, file missing) keeps its previous fingerprint and is reported in the tick's log; the others
are still compared.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import dagster as dg

from pipelines.lib.config import PARTITIONED_KINDS, Config, Resource
from pipelines.schedules import (
    TRIGGER_TAG,
    _asset_graph,
    refresh_job,
    refresh_run_requests,
)
from pipelines.settings import ClusterwatchSettings, current_config

SENSOR_NAME = "hdx_changes"
CHANGED_TAG = "clusterwatch/changed"  # the resource ids that changed (truncated)


@dataclass
class Changes:
    """The result of comparing the resources' states with the cursor."""

    fingerprints: dict[str, str]  # the new cursor: resource id -> fingerprint
    changed: list[str] = field(default_factory=list)  # resource ids, config order
    countries: list[str] = field(default_factory=list)  # partitions to refresh, config order
    global_sources: bool = False  # whether a global source changed (one run of the global sources)
    errors: dict[str, str] = field(default_factory=dict)  # resource id -> why its state is unknown
    baseline: bool = False  # first tick: fingerprints recorded, nothing requested


def read_cursor(cursor: str | None) -> dict[str, str] | None:
    """The cursor as {resource id: fingerprint}; None when there is no usable cursor (first tick)."""
    if not cursor:
        return None
    try:
        data = json.loads(cursor)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    return {str(k): str(v) for k, v in data.items()}


def write_cursor(fingerprints: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(fingerprints.items())), separators=(",", ":"))


def partitions_for(kind: str, res: Resource, cfg: Config) -> list[str]:
    """The country partitions a change in `res` affects ([] for a global source)."""
    if kind not in PARTITIONED_KINDS:
        return []
    if res.country:
        return [res.country]
    return list(cfg.countries)  # a multi-country file (country_column): every configured country


def detect_changes(
    cfg: Config,
    state_of: Callable[[Resource], str],
    previous: Mapping[str, str] | None,
) -> Changes:
    """Compare each configured resource's fingerprint (from `state_of`) with the previous cursor."""
    fingerprints: dict[str, str] = {}
    errors: dict[str, str] = {}
    for _, res in cfg.sources.all():
        try:
            fingerprints[res.id] = state_of(res)
        except Exception as e:  # noqa: BLE001 - one unreachable resource must not hide the others' changes
            errors[res.id] = f"{type(e).__name__}: {e}"
            if previous and res.id in previous:
                fingerprints[res.id] = previous[res.id]  # unknown now: keep what we knew
    if previous is None:
        return Changes(fingerprints=fingerprints, errors=errors, baseline=True)

    changes = Changes(fingerprints=fingerprints, errors=errors)
    countries: set[str] = set()
    for kind, res in cfg.sources.all():
        if res.id in errors or fingerprints.get(res.id) == previous.get(res.id):
            continue
        changes.changed.append(res.id)
        partitions = partitions_for(kind, res, cfg)
        countries.update(partitions)
        changes.global_sources = changes.global_sources or not partitions
    changes.countries = [c for c in cfg.countries if c in countries]
    return changes


def _run_key_prefix(changes: Changes) -> str:
    """Stable for the same set of changes, so a re-evaluated tick never requests the same runs twice."""
    payload = json.dumps([(rid, changes.fingerprints.get(rid)) for rid in changes.changed])
    return "hdx-" + hashlib.sha256(payload.encode()).hexdigest()[:12]


def _errors_text(errors: Mapping[str, str]) -> str:
    return "; ".join(f"{rid}: {why}" for rid, why in list(errors.items())[:5]) + (
        f"; and {len(errors) - 5} more" if len(errors) > 5 else ""
    )


def _sensor_interval() -> int:
    return current_config().schedule.sensor_interval_seconds


@dg.sensor(
    name=SENSOR_NAME,
    target=refresh_job,
    minimum_interval_seconds=_sensor_interval(),
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Polls HDX metadata (or the snapshot folder) for every configured resource and refreshes what "
    "changed: the affected country partitions of the per-country sources, or the global sources; the "
    "rebuild_changed sensor then rebuilds what depends on them. The first tick records a baseline. Interval: "
    "config `schedule.sensor_interval_seconds`.",
)
def hdx_changes(context: dg.SensorEvaluationContext, settings: ClusterwatchSettings):
    cfg = settings.config()
    fetcher = settings.fetcher()
    changes = detect_changes(cfg, lambda res: fetcher.state(res).fingerprint, read_cursor(context.cursor))
    cursor = write_cursor(changes.fingerprints)
    for rid, why in changes.errors.items():
        context.log.warning(f"could not read the state of {rid}: {why}")
    unreadable = f" ({len(changes.errors)} could not be read: {_errors_text(changes.errors)})" if changes.errors else ""

    if changes.baseline:
        return dg.SensorResult(
            skip_reason=dg.SkipReason(
                f"first tick: recorded a baseline for {len(changes.fingerprints)} {fetcher.mode} resources"
                f"{unreadable}; runs are requested when they change"
            ),
            cursor=cursor,
        )
    if not changes.changed:
        return dg.SensorResult(
            skip_reason=dg.SkipReason(f"no change in {len(changes.fingerprints)} {fetcher.mode} resources{unreadable}"),
            cursor=cursor,
        )

    changed = ",".join(changes.changed)
    context.log.info(
        f"changed: {changed}; loading countries {changes.countries or '(none)'}"
        + (" and the global sources" if changes.global_sources else "")
    )
    requests = refresh_run_requests(
        changes.countries,
        _asset_graph(context),
        run_key_prefix=_run_key_prefix(changes),
        tags={TRIGGER_TAG: "sensor", CHANGED_TAG: changed[:250]},
        global_sources=changes.global_sources,
        log=context.log,
    )
    return dg.SensorResult(run_requests=requests, cursor=cursor)


SENSORS = [hdx_changes]
