"""The Dagster code location: every asset, check, schedule and sensor of clusterwatch."""
from __future__ import annotations

import os

import dagster as dg

from pipelines.publish.assets import build_publish_assets
from pipelines.quality.checks import build_suite_checks
from pipelines.quality.tables import PUBLISHED_TABLES
from pipelines.rebuild_sensor import rebuild_changed
from pipelines.schedules import SCHEDULES, refresh_job
from pipelines.sensors import SENSORS
from pipelines.settings import ClusterwatchSettings, current_config, warehouse_resource
from pipelines.sources import RAW_ASSETS
from pipelines.sources.hdx_datasets import hdx_source_specs
from pipelines.sources.raw_asset import LOAD_FAILURES
from pipelines.transform.dbt_assets import build_dbt_assets, dbt_resource, mart_checks


def build_definitions() -> dg.Definitions:
    # dbt: staging and intermediate (the admin lookup among them, as Python models), then one step per mart
    # (transform/dbt_steps.py)
    dbt_steps = build_dbt_assets()
    # The published marts' asset keys, as the dbt translator names them, and their blocking dbt tests.
    marts, dbt_checks = mart_checks(dbt_steps, PUBLISHED_TABLES)
    # Blocking: a mart whose suite fails is not published (its previous version stays current).
    suites = build_suite_checks(marts)
    gating = {t: [*dbt_checks[t], *(k for s in suites for k in s.check_keys if k.asset_key == marts[t])] for t in marts}
    return dg.Definitions(
        # HDX datasets as external assets upstream of the raw ones (lineage only; Dagster never runs them)
        assets=[*hdx_source_specs(current_config()), *RAW_ASSETS, LOAD_FAILURES, *dbt_steps, *build_publish_assets(marts, gating)],
        asset_checks=suites,
        # The daily schedule and the HDX sensor load sources; rebuild_changed then builds what depends on changes.
        jobs=[refresh_job],
        schedules=SCHEDULES,
        sensors=[*SENSORS, rebuild_changed],
        resources={
            "settings": ClusterwatchSettings.from_env(),
            "dbt": dbt_resource(),
            "warehouse": warehouse_resource(),
            "warehouse_reader": warehouse_resource(read_only=True),
        },
        # Steps run one after another in the run's process: one DuckDB writer at a time.
        executor=dg.in_process_executor,
    )


def _built_for() -> tuple:
    """What build_definitions() reads from the environment: the config (and its version on disk), the
    snapshot or live switch and the data dir."""
    from pipelines.settings import ENV_LIVE, ENV_SNAPSHOT, config_path_from_env

    path = config_path_from_env()
    return (str(path), path.stat().st_mtime_ns if path.exists() else 0, os.environ.get(ENV_SNAPSHOT),
            os.environ.get(ENV_LIVE), os.environ.get("CLUSTERWATCH_DATA_DIR"))


def current_definitions() -> dg.Definitions:
    """`defs` when the environment is still the one it was built for, else a new build (seconds: every dbt
    step resolves its selection against the manifest), e.g. for a refresh right after this module loaded."""
    return defs if _built_for() == _DEFS_BUILT_FOR else build_definitions()


_DEFS_BUILT_FOR = _built_for()
defs = build_definitions()
