"""Automation, part 1: the job every automatic refresh runs, and the daily schedule.

A refresh is several Dagster runs of one job, `refresh_all` (every asset), as `clusterwatch refresh` does it
(pipelines/refresh.py):

- one run per country partition of the per-country sources (`raw/presence`, `raw/needs`), and one run of the
  global sources (FTS, p-codes, population, vocabularies); unchanged files are not reloaded;
- then, once those have finished, one run of what depends on raw data whose Dagster data version changed:
  dbt models, checks and publish. The `rebuild_changed` sensor (pipelines/rebuild_sensor.py) requests it, with
  the same rules as the CLI (pipelines/changes.py): a day on which no file changed builds and publishes nothing.

The runs never race on DuckDB: every asset that touches the warehouse is in the `duckdb_warehouse` pool, and
dagster.yaml limits that pool to one run at a time (`granularity: run`).

The schedule's cron and timezone come from the config (`schedule.cron`, `schedule.timezone`). Like every
Dagster schedule it starts STOPPED: switch it on in the UI (Automation) or with
`dagster schedule start daily_refresh -m pipelines.definitions`; the instance remembers.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

import dagster as dg

from pipelines.settings import ClusterwatchSettings, current_config
from pipelines.sources import PARTITIONED_RAW_ASSETS

REFRESH_JOB = "refresh_all"
SCHEDULE_NAME = "daily_refresh"
TRIGGER_TAG = "clusterwatch/trigger"  # schedule | sensor: who asked for the run
STAGE_TAG = "clusterwatch/stage"  # country-sources | global-sources | downstream

COUNTRY_SOURCE_KEYS: tuple[dg.AssetKey, ...] = tuple(a.key for a in PARTITIONED_RAW_ASSETS)

refresh_job = dg.define_asset_job(
    REFRESH_JOB,
    selection=dg.AssetSelection.all(),
    description="Every clusterwatch asset. Automation runs it in parts: the per-country sources one country "
    "partition per run and the global sources in one run (the schedule, the HDX sensor), then one run of what "
    "depends on changed raw data: dbt models, quality checks, publish (the rebuild_changed sensor).",
    tags={"clusterwatch/job": REFRESH_JOB},
)


def global_source_keys(asset_graph) -> list[dg.AssetKey]:
    """The unpartitioned sources: every raw asset that is not a per-country one."""
    from pipelines.sources import RAW_ASSETS

    raw = {a.key for a in RAW_ASSETS} - set(COUNTRY_SOURCE_KEYS)
    return sorted((k for k in asset_graph.materializable_asset_keys if k in raw), key=lambda k: k.to_user_string())


def _asset_graph(context):
    repo = getattr(context, "repository_def", None)
    if repo is None:
        raise dg.DagsterInvariantViolationError(
            "the clusterwatch schedule and sensor need the code location's definitions to list the assets "
            "to run (build the context with definitions=... / repository_def=... in tests)"
        )
    return repo.asset_graph


def loaded_countries(asset_graph) -> list[str] | None:
    """The country partitions the loaded code location knows (None when the graph has no country sources)."""
    for key in COUNTRY_SOURCE_KEYS:
        if asset_graph.has(key) and asset_graph.get(key).partitions_def is not None:
            return list(asset_graph.get(key).partitions_def.get_partition_keys())
    return None


def refresh_run_requests(
    countries: Iterable[str],
    asset_graph,
    *,
    run_key_prefix: str,
    tags: Mapping[str, str],
    global_sources: bool = True,
    log=None,
) -> list[dg.RunRequest]:
    """One run per country partition of the per-country sources, then (optionally) one of the global sources.
    What depends on them is requested by the rebuild_changed sensor once they have loaded, and only if their
    data versions changed.

    A country added to the config after the code location was loaded has no partition yet: it is left out
    with a warning (reload the code location: Deployment > Reload in the UI, or restart `clusterwatch ui`).
    """
    known = loaded_countries(asset_graph)
    countries = list(countries)
    if known is not None:
        missing = [c for c in countries if c not in known]
        if missing and log is not None:
            log.warning(
                f"countries {missing} are in the config but not in the loaded code location; reload it to "
                "refresh them"
            )
        countries = [c for c in countries if c in known]
    requests = [
        dg.RunRequest(
            run_key=f"{run_key_prefix}:{country}",
            partition_key=country,
            asset_selection=list(COUNTRY_SOURCE_KEYS),
            tags={**tags, STAGE_TAG: "country-sources"},
        )
        for country in countries
    ]
    if global_sources:
        requests.append(
            dg.RunRequest(
                run_key=f"{run_key_prefix}:global-sources",
                asset_selection=global_source_keys(asset_graph),
                tags={**tags, STAGE_TAG: "global-sources"},
            )
        )
    return requests


def _schedule_settings():
    return current_config().schedule


@dg.schedule(
    name=SCHEDULE_NAME,
    cron_schedule=_schedule_settings().cron,
    execution_timezone=_schedule_settings().timezone,
    target=refresh_job,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Loads every source once a day (config `schedule.cron` / `schedule.timezone`): a run per "
    "country for the per-country sources and one for the global sources; unchanged files are not reloaded. The "
    "rebuild_changed sensor then rebuilds and publishes what depends on changed data, and nothing on a day "
    "when no file changed.",
)
def daily_refresh(context: dg.ScheduleEvaluationContext, settings: ClusterwatchSettings) -> Sequence[dg.RunRequest]:
    cfg = settings.config()
    try:
        when = context.scheduled_execution_time  # always set by the daemon
    except dg.DagsterError:
        when = None
    except Exception:  # noqa: BLE001 - dagster's check error when a test context has no time
        when = None
    when = when or dt.datetime.now(dt.UTC)
    stamp = when.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return refresh_run_requests(
        cfg.countries,
        _asset_graph(context),
        run_key_prefix=f"daily-{stamp}",
        tags={TRIGGER_TAG: "schedule"},
        log=context.log,
    )


SCHEDULES = [daily_refresh]
