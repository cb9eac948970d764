"""The instance's event log (dagster.yaml): Dagster's SQLite files, written through kept-open connections."""
from __future__ import annotations

import dagster as dg
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from pipelines.event_log_storage import OPEN_SHARDS, PooledSqliteEventLogStorage
from pipelines.instance import dagster_home, open_instance


@dg.asset(check_specs=[dg.AssetCheckSpec("has_rows", asset="table_a")])
def table_a():
    yield dg.MaterializeResult(data_version=dg.DataVersion("v1"))
    yield dg.AssetCheckResult(check_name="has_rows", passed=True)


def test_the_instance_writes_files_the_stock_storage_reads(data_dir):
    instance = open_instance()
    assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
    job = dg.Definitions(assets=[table_a]).resolve_implicit_global_asset_job_def()
    runs = [job.execute_in_process(instance=instance).run_id for _ in range(OPEN_SHARDS + 3)]

    # Old runs' files are closed as new ones open: a long-lived daemon never holds every run's file.
    assert len(instance.event_log_storage._engines) <= OPEN_SHARDS
    # Everything is where the stock class looks (the UI, or a switch back, reads the same history).
    stock = SqliteEventLogStorage(str(dagster_home() / "history" / "runs"))
    key = dg.AssetKey("table_a")
    assert len(stock.fetch_materializations(key, limit=100).records) == len(runs)
    assert [e.dagster_event.event_type_value for e in stock.get_logs_for_run(runs[0])
            if e.is_dagster_event][-1] == "PIPELINE_SUCCESS"
    check = dg.AssetCheckKey(key, "has_rows")
    assert len(stock.get_asset_check_execution_history(check, limit=100)) == len(runs)
    assert instance.get_latest_data_version_record(key) is not None
    instance.dispose()


def _file_shape(path) -> tuple:
    import sqlite3

    con = sqlite3.connect(path)
    try:
        return (con.execute("pragma journal_mode").fetchone(), con.execute("select version_num from alembic_version").fetchall(),
                sorted(r[0] or "" for r in con.execute("select sql from sqlite_master")))
    finally:
        con.close()


def test_a_new_runs_file_is_the_stock_classs_file(tmp_path):
    """Each run's file is copied from one made once: the same tables, indexes, WAL mode and alembic revision as the
    stock class makes, and the copy is not mistaken for a run."""
    ours = PooledSqliteEventLogStorage(str(tmp_path / "ours"))
    stock = SqliteEventLogStorage(str(tmp_path / "stock"))
    for storage in (ours, stock):
        for run_id in ("run-a", "run-b"):
            with storage.run_connection(run_id):
                pass
    templates = list((tmp_path / "ours").glob(".run-template-*.db"))
    assert len(templates) == 1
    assert _file_shape(tmp_path / "ours" / "run-b.db") == _file_shape(tmp_path / "stock" / "run-b.db")
    assert sorted(ours.get_all_run_ids()) == ["run-a", "run-b"]
    assert not list((tmp_path / "ours").glob("*.tmp"))
    ours.dispose()
