"""Each published mart's great-expectations suite (the comparison with its previous published version,
quality/suites.py) as a BLOCKING Dagster asset check.

A failed suite stops the mart's publish asset (Dagster skips downstream assets of a failed blocking
check: that is the only gate). For people, the check also records in the manifest that the table is
blocked and why, writes its result and the quality report, and fails the run with a message naming the
table, the failed expectations and some failing rows. dbt's own tests of error severity are blocking
asset checks too (dagster-dbt, see transform/dbt_assets.py).
"""

import traceback

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.lib.paths import published_dir
from pipelines.quality.tables import PUBLISHED_TABLES, PublishedTable
from pipelines.settings import ClusterwatchSettings, open_warehouse, warehouse_resource
from pipelines.sources.raw_asset import WAREHOUSE_POOL

SUITE_CHECK_NAME = "quality_suite"


def _could_not_run(table: PublishedTable, error: BaseException, run_id: str, version: str):
    """A suite that cannot run (missing table, broken vocabulary) blocks like a failed one."""
    import datetime as dt

    from pipelines.quality.results import ExpectationResult, SuiteResult

    message = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
    return SuiteResult(
        table=table.name,
        suite=f"{table.name}_suite",
        success=False,
        evaluated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        row_count=0,
        fingerprint="",
        seconds=0.0,
        expectations=[
            ExpectationResult(
                name="suite_ran", description="the quality suite could run against the mart", success=False,
                engine="python", expectation="run", error=message,
            )
        ],
        run_id=run_id,
        version=version,
    )


def evaluate(table: PublishedTable, cfg, *, run_id: str, version: str, warehouse: DuckDBResource | None = None,
             log=None):
    """Run the table's suite against the warehouse and store its result for the report (published/quality/results)."""
    from pipelines.publish.manifest import previous_published
    from pipelines.quality.report import save_result
    from pipelines.quality.runner import run_suite
    from pipelines.quality.suites import SuiteContext, build_suite

    prev_count, prev_version = previous_published(table.name)
    try:
        with open_warehouse(warehouse or warehouse_resource(read_only=True)) as con:
            suite = build_suite(con, table.name, SuiteContext(cfg, prev_count, prev_version))
            result = run_suite(con, suite, run_id=run_id, version=version)
            if table.name == "quality_issues":
                _save_source_files(con, log)
    except Exception as e:  # noqa: BLE001 - reported as a failed expectation, never as a pass
        if log:
            log(traceback.format_exc())
        result = _could_not_run(table, e, run_id, version)
    save_result(result)
    return result


def _save_source_files(con, log=None) -> None:
    """The report's section per source file, from this run's warehouse; never affects the check itself."""
    from pipelines.quality import source_files
    from pipelines.quality.report import quality_dir

    try:
        source_files.save(con, quality_dir())
    except Exception:  # noqa: BLE001 - the report then lacks the section, the check result stands
        if log:
            log(traceback.format_exc())


def suite_check(table: PublishedTable, mart_key: dg.AssetKey) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=mart_key,
        name=SUITE_CHECK_NAME,
        blocking=True,
        description=f"great-expectations suite of `{table.name}` ({table.grain}): the comparison with the previous "
        "published version (row count; share of empty values, a warning). The mart's own rules and its "
        "reconciliations with the sources are its dbt tests. Blocks publication when an expectation fails.",
        pool=WAREHOUSE_POOL,
    )
    def _check(context: dg.AssetCheckExecutionContext, settings: ClusterwatchSettings,
               warehouse_reader: DuckDBResource):
        from pipelines.publish.manifest import record_blocked, run_version
        from pipelines.quality.report import write_quality_report

        run_id = context.run.run_id
        version = run_version(context.instance, run_id)
        result = evaluate(table, settings.config(), run_id=run_id, version=version, warehouse=warehouse_reader,
                          log=context.log.debug)
        context.log.info(f"{table.name}: {result.summary()} ({result.row_count:,} rows, {result.seconds:.2f}s)")
        metadata = {
            "expectations": dg.MetadataValue.md(result.markdown_table()),
            "failing_rows": dg.MetadataValue.md(result.markdown_failing_rows()),
            "passed": sum(e.success for e in result.expectations),
            "failed": len(result.failed),
            "dagster/row_count": result.row_count,
            "seconds": round(result.seconds, 3),
            "fingerprint": result.fingerprint,
            "quality_report": dg.MetadataValue.path(str(published_dir() / "quality" / "quality_report.html")),
        }
        yield dg.AssetCheckResult(
            passed=result.success,
            severity=dg.AssetCheckSeverity.ERROR,
            description=result.summary(),
            metadata=metadata,
        )
        if not result.success:
            failed = ", ".join(e.name for e in result.failed)
            record_blocked(table.name, version=version, run_id=run_id, reason=f"expectation(s) failed: {failed}",
                           checks={"suite": result.suite, "summary": result.summary(),
                                   "evaluated_at": result.evaluated_at, "failed": [e.name for e in result.failed]})
            report_json, report_html = write_quality_report()
            raise dg.Failure(
                description=result.failure_message() + f"\n  Quality report: {report_html}",
                metadata={"expectations": dg.MetadataValue.md(result.markdown_table())},
            )
        write_quality_report()

    return _check


def build_suite_checks(mart_keys: dict[str, dg.AssetKey]) -> list[dg.AssetChecksDefinition]:
    """One blocking check per published table, on its mart's asset key (see transform.dbt_assets.mart_checks)."""
    return [suite_check(t, mart_keys[t.name]) for t in PUBLISHED_TABLES]
