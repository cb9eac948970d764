"""A full refresh as Dagster runs, stage by stage, with progress for the terminal.

Country partitions of the per-country sources run first, then everything that is not partitioned
(global sources, dbt models, checks, publish). Runs execute in this process: one DuckDB writer.
"""
from __future__ import annotations

import contextlib
import getpass
import time
from pathlib import Path

import dagster as dg

from pipelines.lib.paths import data_dir, warehouse_path
from pipelines.refresh_report import describe_step_failures, print_checks, print_steps, print_summary
from pipelines.settings import current_config

USER_TAG = "clusterwatch/user"


class RefreshFailed(RuntimeError):
    pass


class RefreshPartial(RefreshFailed):
    """Everything ran, but the sources of some countries failed: their marts use their last good raw data."""

    def __init__(self, failed: dict[str, str], summary: dict):
        self.failed, self.summary = failed, summary
        super().__init__(f"the sources of {', '.join(failed)} failed; the marts use their last good raw data "
                         "(clusterwatch status, and quality_issues issue_code source_failed)")


def refresh_log_path() -> Path:
    """dbt's per-model log and Dagster's console log of the last refresh (the terminal gets a summary)."""
    return data_dir() / "logs" / "refresh.log"


def run_tags(stage: str, *, force: bool = False) -> dict[str, str]:
    """Who and what started the run, as the Dagster UI shows it."""
    from pipelines.schedules import STAGE_TAG, TRIGGER_TAG
    from pipelines.sources.raw_asset import FORCE_TAG

    tags = {TRIGGER_TAG: "cli", USER_TAG: getpass.getuser(), STAGE_TAG: stage}
    return {**tags, FORCE_TAG: "1"} if force else tags


@contextlib.contextmanager
def _quiet(verbose: bool):
    """Without -v, what dbt and Dagster write to stdout/stderr during a run goes to the refresh log."""
    if verbose:
        yield
        return
    with open(refresh_log_path(), "a", encoding="utf-8", buffering=1) as log, \
            contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        yield


def _run(defs: dg.Definitions, instance, selection, say, label: str, partition_key: str | None = None, tags=None,
         verbose: bool = False):
    from pipelines.schedules import REFRESH_JOB

    started = time.perf_counter()
    if verbose:
        say(f"  {label} ...")
    job = defs.resolve_job_def(REFRESH_JOB)
    with _quiet(verbose):
        result = job.execute_in_process(
            instance=instance,
            asset_selection=selection,
            partition_key=partition_key,
            raise_on_error=False,
            tags=tags or {},
            # Step failures are reported once, below; the full log (with tracebacks) stays in the Dagster instance.
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING" if verbose else "CRITICAL"}}}},
        )
    seconds = time.perf_counter() - started
    if verbose:
        print_steps(result, say)
        print_checks(result, say)
    else:
        print_summary(result, say, label, seconds)
    if not result.success:
        raise RefreshFailed(f"{label} (run {result.run_id[:8]}):\n{describe_step_failures(result)}")
    if verbose:
        say(f"  {label} done in {seconds:.1f}s")
    return result


def run_refresh(instance, *, countries: list[str] | None = None, say=print, force: bool = False,
                verbose: bool = False) -> dict:
    from pipelines.lib.warehouse import writer_lock

    from pipelines.instance import definitions_state_of
    from pipelines.interrupted import mark_interrupted_runs

    # One refresh at a time per data dir: DuckDB allows a single writer process.
    with writer_lock(say=say), definitions_state_of(instance):
        mark_interrupted_runs(instance, say=say)  # runs a killed refresh left STARTED (none can be running now)
        return _run_refresh(instance, countries=countries, say=say, force=force, verbose=verbose)


def _sources_definitions() -> dg.Definitions:
    """The raw assets alone: enough to look at every source without importing dbt or Great Expectations,
    so that a refresh that finds nothing changed stays light (the full code location is pipelines/definitions.py)."""
    from pipelines.schedules import refresh_job
    from pipelines.settings import ClusterwatchSettings, warehouse_resource
    from pipelines.sources import RAW_ASSETS
    from pipelines.sources.hdx_datasets import hdx_source_specs

    return dg.Definitions(
        assets=[*hdx_source_specs(current_config()), *RAW_ASSETS],
        jobs=[refresh_job],
        resources={"settings": ClusterwatchSettings.from_env(), "warehouse": warehouse_resource()},
        executor=dg.in_process_executor,
    )


@contextlib.contextmanager
def _dbt_made_ready(*, will_load: bool):
    """dbt made ready on the other core while the sources load; yields the wait for it. When sources will load,
    a warm dbt process that also runs the build (transform/dbt_server.py); else only the parse, when the project
    changed (so a refresh that finds nothing new never imports dbt)."""
    from pipelines.transform.project import prepare_in_background, start_warm_dbt

    warm = start_warm_dbt() if will_load else None
    parsing = None if warm is not None else prepare_in_background()
    try:
        yield warm.wait_parsed if warm is not None else parsing.join if parsing is not None else lambda: None
    finally:
        if warm is not None:
            warm.close()


@contextlib.contextmanager
def _warehouse_held_open(*, will_load: bool):
    """The warehouse held open while the source runs load: each of their steps opens and closes it, and DuckDB then
    reuses the open database instead of loading the file and its catalog again (about 60 ms a step). Opened as
    the steps open it (one configuration: DuckDB refuses another), closed before dbt's process needs the file."""
    from pipelines.settings import open_warehouse, warehouse_resource

    if not will_load:
        yield
        return
    with open_warehouse(warehouse_resource()):
        yield


def _run_refresh(instance, *, countries: list[str] | None, say, force: bool, verbose: bool = False) -> dict:
    from pipelines.changes import downstream_tags, plan_rebuild
    from pipelines.settings import config_path_from_env
    from pipelines.sources import PARTITIONED_RAW_ASSETS, RAW_ASSETS

    started = time.perf_counter()
    cfg = current_config()
    wanted = countries or cfg.countries
    unknown = sorted(set(wanted) - set(cfg.countries))
    if unknown:
        raise ValueError(f"countries {unknown} are not in the configuration ({', '.join(cfg.countries)})")
    defs = _sources_definitions()
    log = refresh_log_path()
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("", encoding="utf-8")  # the log of the last refresh only
    say(f"clusterwatch refresh: config {cfg.name!r}, countries {', '.join(wanted)}")
    for w in cfg.warnings():
        if w[:3] in wanted:
            say(f"warning: {w}")

    partitioned_keys = [a.key for a in PARTITIONED_RAW_ASSETS]
    global_assets = [a for a in RAW_ASSETS if a.key not in partitioned_keys]
    skip = _unchanged_source_runs(instance, cfg, wanted, PARTITIONED_RAW_ASSETS, global_assets, force=force)
    will_load = len(skip) < len(wanted) + 1  # a source run of some country, or of the global sources
    with _dbt_made_ready(will_load=will_load) as dbt_ready:
        failed: dict[str, str] = {}
        with _warehouse_held_open(will_load=will_load):
            say("stage 1/2: per-country sources")
            for country in wanted:
                if country in skip:
                    say(f"  sources for {country}: unchanged, no run")
                    continue
                try:
                    _run(defs, instance, partitioned_keys, say, f"sources for {country}", partition_key=country,
                         tags=run_tags("country-sources", force=force), verbose=verbose)
                except RefreshFailed as e:
                    # One country's bad file fails that country only: its previous raw rows stay (the partition
                    # loads all or nothing) and the marts are built from them; the other countries go on.
                    failed[country] = str(e)
                    say(f"warning: {e}\n  {country} keeps its last good raw data; the other countries go on")

            say("stage 2/2: global sources, then what depends on changed data")
            if None in skip:
                say("  global sources: unchanged, no run")
            else:
                _run(defs, instance, [a.key for a in global_assets], say, "global sources",
                     tags=run_tags("global-sources", force=force), verbose=verbose)
        raw_keys = {a.key for a in RAW_ASSETS}
        dbt_ready()
        # Dagster's data versions of the raw assets decide what is rebuilt (pipelines/changes.py).
        plan = plan_rebuild(instance, cfg, config_path_from_env(), RAW_ASSETS, force=force)
        if plan.nothing_to_do:
            say("  nothing changed since the last refresh: no dbt, checks or publication needed")
            return _summary(started, log, failed)
        from pipelines.definitions import current_definitions  # dbt and Great Expectations: only when there is work

        defs = current_definitions()
        rebuild = plan.assets(defs.resolve_asset_graph(), raw_keys)
        if not rebuild:
            say("  nothing changed since the last refresh: no dbt, checks or publication needed")
        else:
            say(f"  changed: {plan.describe()}; rebuilding {len(rebuild)} assets")
            _run(defs, instance, rebuild, say, "transform, checks, publish",
                 tags={**run_tags("downstream", force=force), **downstream_tags(plan.current)}, verbose=verbose)
        return _summary(started, log, failed)


def _unchanged_source_runs(instance, cfg, countries: list[str], partitioned, global_assets, *, force: bool
                           ) -> set[str | None]:
    """The countries (and None for the global sources) whose source run would load nothing new: their files
    and the way the config reads them give the data versions Dagster already holds (source_versions.py)."""
    if force:
        return set()
    from pipelines.lib.load_failures import current_failures
    from pipelines.lib.warehouse import connect
    from pipelines.settings import ClusterwatchSettings
    from pipelines.source_versions import unchanged_runs

    if not warehouse_path().exists():
        return set()
    with connect() as con:
        failing = {partition for _, partition, _, _ in current_failures(con)}
    runs = [(c, partitioned) for c in countries] + [(None, global_assets)]
    return unchanged_runs(instance, cfg, ClusterwatchSettings.from_env().fetcher(), runs, failing)


def _summary(started: float, log: Path, failed: dict[str, str]) -> dict:
    """What the CLI prints at the end; a country whose sources failed makes the refresh partial."""
    summary = {"seconds": time.perf_counter() - started, "warehouse": str(warehouse_path()), "log": str(log)}
    if failed:
        raise RefreshPartial(failed, summary)
    return summary


def run_ingest(*, countries: list[str] | None = None, say=print, force: bool = False) -> dict[str, int]:
    """The raw layer only, without Dagster (for debugging and development). A plain `dbt build` then builds
    everything else, the admin lookup included (a dbt Python model)."""
    from pipelines.lib.config import SOURCE_KINDS
    from pipelines.lib.ingest import ingest_resource, resources_for_partition
    from pipelines.lib.warehouse import ALL_PARTITIONS, connect, ensure_raw_schema, table_row_counts, writer_lock
    from pipelines.settings import ClusterwatchSettings

    settings = ClusterwatchSettings.from_env()
    cfg = settings.config()
    partitioned = {"presence", "needs"}
    with writer_lock(say=say):
        with connect() as con:
            fetcher = settings.fetcher()
            ensure_raw_schema(con)
            for kind in SOURCE_KINDS:
                partitions = (countries or cfg.countries) if kind in partitioned else [ALL_PARTITIONS]
                for partition in partitions:
                    for res in resources_for_partition(cfg.resources(kind), partition):
                        r = ingest_resource(con, fetcher, res, kind, partition, force=force, limits=cfg.limits)
                        for warning in r.warnings:
                            say(f"  warning: {warning}")
                        state = "unchanged" if r.skipped else f"{r.seconds:.2f}s"
                        say(f"  {kind:12s} {res.id:28s} [{partition}] raw.{r.table}: {r.rows:,} rows ({state})")
            return table_row_counts(con)
