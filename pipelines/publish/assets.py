"""The Dagster assets `published/<table>`, one per published mart, and `published_release` (group "publish").

Each table asset depends on its mart; Dagster runs it only when the mart's blocking checks (the
great-expectations suite and dbt's error-severity tests) passed in the run, and skips it otherwise. It
re-evaluates no check. It only stages the table's new version; `published_release` makes every staged
table current in one step (release.py).

`published_release` has no upstream asset on purpose: Dagster skips or abandons every step downstream of a
skipped or failed one, and the release must run when some tables are blocked (they keep their version).
It runs last instead by having the lowest step priority: the run's steps execute one at a time
(in-process executor), highest priority first among those whose upstream steps are done.
"""
import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.lib.paths import published_dir
from pipelines.publish.files import PublishError
from pipelines.publish.manifest import record_blocked, run_version
from pipelines.publish.release import release
from pipelines.publish.table import stage_table
from pipelines.quality.report import write_quality_report
from pipelines.quality.tables import PUBLISHED_TABLES, PublishedTable
from pipelines.settings import ClusterwatchSettings, open_warehouse
from pipelines.sources.raw_asset import WAREHOUSE_POOL


RELEASE_KEY = dg.AssetKey("published_release")
LAST_PRIORITY = "-1000"  # below every other step's (see the module docstring)


def _config_info(cfg) -> dict:
    return {"name": cfg.name, "countries": cfg.countries, "path": str(cfg.source_path) if cfg.source_path else None}


def _files_table(files: dict) -> str:
    return "| file | bytes | sha256 |\n|---|---|---|\n" + "\n".join(
        f"| {k} | {v['bytes']:,} | `{v['sha256'][:16]}` |" for k, v in files.items()
    )


def publish_asset(table: PublishedTable, mart_key: dg.AssetKey, blocking_checks: list[dg.AssetCheckKey]):
    check_names = sorted(k.name for k in blocking_checks)

    @dg.asset(
        key=table.publish_key,
        deps=[mart_key],
        group_name="publish",
        description=f"Publishes the `{table.name}` mart ({table.grain}) to data/published/ as parquet, CSV with "
        f"HXL tags, and in clusterwatch.duckdb, once its blocking checks passed. Write-audit-publish: the new "
        f"version is written and verified in full, then staged; `published_release` makes it current together "
        f"with the run's other tables. If a check fails, Dagster skips this step and the previous published "
        f"version stays current.",
        owners=["team:information-management"],
        kinds={"parquet", "csv", "duckdb"},
        pool=WAREHOUSE_POOL,
    )
    def _publish(context: dg.AssetExecutionContext, settings: ClusterwatchSettings,
                 warehouse_reader: DuckDBResource) -> dg.MaterializeResult:
        version = run_version(context.instance, context.run.run_id)
        # What gated this publication, for the record (Dagster enforced it before this step started).
        checks = {"mart": mart_key.to_user_string(), "run_id": context.run.run_id, "blocking_checks": check_names}
        with open_warehouse(warehouse_reader) as con:
            try:
                entry = stage_table(con, table.name, version=version, run_id=context.run.run_id, checks=checks,
                                    log=context.log.info)
            except PublishError as e:
                try:
                    record_blocked(table.name, version=version, run_id=context.run.run_id,
                                   reason=f"publication failed: {e}")
                    write_quality_report()
                except OSError:  # the disk is full, say: the failure below says why, in one line
                    pass
                raise dg.Failure(description=f"table {table.name!r} was NOT published: {e}. "
                                 "The previously published version stays current.") from e
        write_quality_report()
        context.log.info(f"{table.name}: staged version {version} ({entry['row_count']:,} rows)")
        selection = context.run.asset_selection
        if selection is not None and RELEASE_KEY not in selection:  # a run without the release step (e.g. the UI
            cfg = settings.config()  # materialising this table alone): release it now, or it never would be
            try:
                release(version, run_id=context.run.run_id, keep_versions=cfg.publish.keep_versions,
                        config_info=_config_info(cfg), log=context.log.info)
            except PublishError as e:
                raise dg.Failure(description=f"table {table.name!r} was NOT published: {e}. "
                                 "The previously published version stays current.") from e
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": entry["row_count"],
                "version": version,
                "path": dg.MetadataValue.path(str(published_dir() / entry["path"])),
                "files": dg.MetadataValue.md(_files_table(entry["files"])),
                "blocking_checks": len(check_names),
                "previous_version": entry.get("previous_version") or "none",
                "seconds": round(entry.get("seconds", 0.0), 2),
            }
        )

    return _publish


@dg.asset(
    key=RELEASE_KEY,
    group_name="publish",
    description="Makes every table this run staged current in one step: the analyst DuckDB is built once, "
    "the release directory gets manifest.json last, and the symlink `current` is swapped to it (the commit "
    "point). Blocked tables keep their version. Runs last in every run, even when some tables are blocked.",
    owners=["team:information-management"],
    kinds={"duckdb", "json"},
    op_tags={"dagster/priority": LAST_PRIORITY},
)
def published_release(context: dg.AssetExecutionContext, settings: ClusterwatchSettings) -> dg.MaterializeResult:
    cfg = settings.config()
    version = run_version(context.instance, context.run.run_id)
    try:
        manifest = release(version, run_id=context.run.run_id, keep_versions=cfg.publish.keep_versions,
                           config_info=_config_info(cfg), log=context.log.info)
    except PublishError as e:
        raise dg.Failure(description=f"the run's tables were NOT released: {e}. "
                         "The previous release stays current.") from e
    try:  # again, from the released manifest: it holds the tables blocked in this run
        write_quality_report()
    except OSError as e:  # the release stands; only the report for people is stale
        context.log.warning(f"the quality report could not be rewritten after the release: {e}")
    if manifest is None:
        return dg.MaterializeResult(metadata={"release": "nothing staged in this run"})
    tables = manifest["tables"]
    return dg.MaterializeResult(metadata={
        "release": manifest["release"],
        "published": ", ".join(sorted(t for t, e in tables.items() if e.get("version") == version)) or "none",
        "blocked": ", ".join(sorted(t for t, e in tables.items() if e.get("status") == "blocked")) or "none",
        "path": dg.MetadataValue.path(str(published_dir() / "current")),
    })


def build_publish_assets(mart_keys: dict[str, dg.AssetKey], blocking_checks: dict[str, list]) -> list:
    """One publish asset per published table, downstream of its mart (`blocking_checks`, per table, are
    recorded in the manifest as what gated the publication), and the release step."""
    return [*(publish_asset(t, mart_keys[t.name], blocking_checks.get(t.name, [])) for t in PUBLISHED_TABLES),
            published_release]
