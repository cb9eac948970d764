"""The Dagster code location: every asset, check, schedule and sensor of clusterwatch."""
from __future__ import annotations

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from pipelines.publish import build_publish_assets
from pipelines.quality.checks import build_suite_checks
from pipelines.quality.tables import mart_asset_keys, mart_dbt_tests
from pipelines.schedules import SCHEDULES, refresh_job
from pipelines.sensors import SENSORS
from pipelines.settings import ClusterwatchSettings
from pipelines.sources import RAW_ASSETS
from pipelines.transform.admin_lookup import build_admin_lookup
from pipelines.transform.dbt_assets import build_admin_keys_dbt_assets, build_dbt_assets, dbt_resource
from pipelines.transform.dbt_selections import ADMIN_KEYS_MODEL


def build_definitions() -> dg.Definitions:
    # dbt staging + int_admin_keys -> Python admin lookup -> every other dbt model (transform/dbt_selections.py)
    admin_keys = build_admin_keys_dbt_assets()
    admin_lookup = build_admin_lookup(get_asset_key_for_model([admin_keys], ADMIN_KEYS_MODEL))
    dbt_assets = build_dbt_assets()
    marts = mart_asset_keys(dbt_assets)  # the published marts' asset keys, as the dbt translator names them
    return dg.Definitions(
        assets=[*RAW_ASSETS, admin_keys, admin_lookup, dbt_assets, *build_publish_assets(marts, mart_dbt_tests(dbt_assets))],
        # Blocking: a mart whose suite fails is not published (its previous version stays current).
        asset_checks=build_suite_checks(marts),
        # Daily refresh and the HDX change sensor: one run per country partition, then one downstream run.
        jobs=[refresh_job],
        schedules=SCHEDULES,
        sensors=SENSORS,
        resources={"settings": ClusterwatchSettings.from_env(), "dbt": dbt_resource()},
        # Steps run one after another in the run's process: one DuckDB writer at a time.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
