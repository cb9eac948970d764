"""The dbt models as Dagster assets. `dbt build` runs models and their tests; error-severity tests block."""

import json
import os

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines.settings import ClusterwatchSettings, current_config
from pipelines.sources.raw_asset import WAREHOUSE_POOL
from pipelines.transform.project import dbt_env, dbt_executable, dbt_project
from pipelines.transform.translator import ClusterwatchDbtTranslator


def dbt_vars(settings: ClusterwatchSettings) -> dict:
    """Config values the models use, passed as --vars so config stays the one place to change them."""
    cfg = settings.config()
    import datetime as dt

    return {
        "countries": cfg.countries,
        "as_of": (cfg.as_of or dt.date.today()).isoformat(),
        "gap_low_reach_share": cfg.gaps.low_reach_share,
        "gap_thin_presence_factor": cfg.gaps.thin_presence_factor,
        "gap_min_people_in_need": cfg.gaps.min_people_in_need,
    }


def build_dbt_assets() -> dg.AssetsDefinition:
    project = dbt_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=ClusterwatchDbtTranslator(current_config()),
        pool=WAREHOUSE_POOL,
        name="clusterwatch_dbt",
    )
    def clusterwatch_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: ClusterwatchSettings):
        os.environ.update(dbt_env())
        args = ["build", "--vars", json.dumps(dbt_vars(settings))]
        yield from dbt.cli(args, context=context).stream()

    return clusterwatch_dbt


def dbt_resource() -> DbtCliResource:
    project = dbt_project()
    return DbtCliResource(project_dir=project, profiles_dir=str(project.profiles_dir), dbt_executable=dbt_executable())
