"""A full refresh as Dagster runs, stage by stage, with progress for the terminal.

Country partitions of the per-country sources run first, then everything that is not partitioned
(global sources, dbt models, checks, publish). Runs execute in this process: one DuckDB writer.
"""
from __future__ import annotations

import time
from typing import Callable

import dagster as dg

from pipelines.lib.paths import warehouse_path
from pipelines.settings import current_config


class RefreshFailed(RuntimeError):
    pass


def _describe_step_failures(result: dg.ExecuteInProcessResult) -> str:
    lines = []
    for ev in result.all_events:
        if ev.is_step_failure:
            err = ev.step_failure_data.error
            msg = (err.message or "").strip() if err else ""
            lines.append(f"{ev.step_key}: {msg}")
            if err and err.cause:
                lines.append(f"  caused by: {err.cause.message.strip()}")
    return "\n".join(lines) or "see the Dagster run log"


def _print_progress(result: dg.ExecuteInProcessResult, say: Callable[[str], None]) -> None:
    """One line per step with its time and row counts; dbt models and checks summarised."""
    mats: dict[str, list] = {}
    for ev in result.get_asset_materialization_events():
        mats.setdefault(ev.step_key, []).append(ev.event_specific_data.materialization)
    for ev in result.all_events:
        if not (ev.is_step_success or ev.is_step_failure):
            continue
        seconds = ev.event_specific_data.duration_ms / 1000 if ev.is_step_success else None
        done = mats.get(ev.step_key, [])
        counted = [m for m in done if "dagster/row_count" in m.metadata]
        if counted:
            detail = ", ".join(
                f"{m.asset_key.to_user_string()}{f' [{m.partition}]' if m.partition else ''} {m.metadata['dagster/row_count'].value:,} rows"
                for m in counted
            )
        else:
            detail = f"{len(done)} assets" if done else ""
        state = f"{seconds:.1f}s" if seconds is not None else "FAILED"
        say(f"    {ev.step_key:32s} {state:>7s}  {detail}")
    checks = result.get_asset_check_evaluations()
    if checks:
        failed = [c for c in checks if not c.passed]
        warned = [c for c in failed if c.severity == dg.AssetCheckSeverity.WARN]  # reported, not blocking
        say(f"    checks: {len(checks) - len(failed)} passed, {len(failed) - len(warned)} failed"
            + (f", {len(warned)} warned" if warned else ""))
        for c in failed:
            say(f"      {'WARNING' if c in warned else 'FAILED'} {c.asset_key.to_user_string()}: {c.check_name}")


def _run(defs: dg.Definitions, instance, selection, say, label: str, partition_key: str | None = None, tags=None):
    started = time.perf_counter()
    say(f"  {label} ...")
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=instance,
        asset_selection=selection,
        partition_key=partition_key,
        raise_on_error=False,
        tags=tags or {},
        # The terminal gets the progress lines below; the full log stays in the Dagster instance.
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    _print_progress(result, say)
    seconds = time.perf_counter() - started
    if not result.success:
        raise RefreshFailed(f"{label}:\n{_describe_step_failures(result)}")
    say(f"  {label} done in {seconds:.1f}s")
    return result


def run_refresh(instance, *, countries: list[str] | None = None, say=print, force: bool = False) -> dict:
    from pipelines.lib.warehouse import writer_lock

    # One refresh at a time per data dir: DuckDB allows a single writer process.
    with writer_lock(say=say):
        return _run_refresh(instance, countries=countries, say=say, force=force)


def _run_refresh(instance, *, countries: list[str] | None, say, force: bool) -> dict:
    from pipelines.definitions import build_definitions
    from pipelines.sources import PARTITIONED_RAW_ASSETS
    from pipelines.sources.raw_asset import FORCE_TAG

    started = time.perf_counter()
    cfg = current_config()
    wanted = countries or cfg.countries
    unknown = sorted(set(wanted) - set(cfg.countries))
    if unknown:
        raise ValueError(f"countries {unknown} are not in the configuration ({', '.join(cfg.countries)})")
    defs = build_definitions()
    tags = {FORCE_TAG: "1"} if force else {}
    say(f"clusterwatch refresh: config {cfg.name!r}, countries {', '.join(wanted)}")
    for w in cfg.warnings():
        if w[:3] in wanted:
            say(f"warning: {w}")

    partitioned_keys = [a.key for a in PARTITIONED_RAW_ASSETS]
    say("stage 1/2: per-country sources")
    for country in wanted:
        _run(defs, instance, partitioned_keys, say, f"sources for {country}", partition_key=country, tags=tags)

    say("stage 2/2: global sources and everything downstream")
    rest = [k for k in defs.resolve_asset_graph().materializable_asset_keys if k not in partitioned_keys]
    _run(defs, instance, rest, say, "global sources, transform, checks, publish", tags=tags)
    return {"seconds": time.perf_counter() - started, "warehouse": str(warehouse_path())}


def run_ingest(*, countries: list[str] | None = None, say=print, force: bool = False) -> dict[str, int]:
    """The raw layer and the p-code lookup only, without Dagster (for debugging and development).

    The lookup needs dbt's list of admin keys, so the dbt step before it runs too (transform/dbt_selections.py);
    the rest of dbt does not."""
    from pipelines.lib.config import SOURCE_KINDS
    from pipelines.lib.ingest import ingest_resource, resources_for_partition
    from pipelines.lib.warehouse import ALL_PARTITIONS, connect, ensure_raw_schema, table_row_counts, writer_lock
    from pipelines.settings import ClusterwatchSettings
    from pipelines.transform.admin_lookup import refresh_admin_lookup_without_dagster

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
        # Closed first: dbt, a separate process, opens the warehouse (one writer at a time).
        counts = refresh_admin_lookup_without_dagster(settings, say=say)
        say(f"  admin lookup: {counts}")
        with connect() as con:
            return table_row_counts(con)
