"""The dbt models as Dagster assets. `dbt build` runs models and their tests; error-severity tests block."""

import json
import os

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines.settings import ClusterwatchSettings, current_config
from pipelines.sources.raw_asset import WAREHOUSE_POOL
from pipelines.transform.dbt_selections import ADMIN_KEYS_SELECT
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


def _dbt_step(name: str, select: str, exclude: str | None) -> dg.AssetsDefinition:
    project = dbt_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=ClusterwatchDbtTranslator(current_config()),
        select=select,
        exclude=exclude,
        pool=WAREHOUSE_POOL,
        name=name,
    )
    def _step(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: ClusterwatchSettings):
        os.environ.update(dbt_env())
        args = ["build", "--vars", json.dumps(dbt_vars(settings))]
        yield from dbt.cli(args, context=context).stream()

    return _step


def build_admin_keys_dbt_assets() -> dg.AssetsDefinition:
    """The dbt step before the Python admin lookup: int_admin_keys and the staging models it reads."""
    return _dbt_step("clusterwatch_dbt_admin_keys", ADMIN_KEYS_SELECT, None)


def build_dbt_assets() -> dg.AssetsDefinition:
    """Every other dbt model (they join normalised.admin_lookup, built from the step above)."""
    return _dbt_step("clusterwatch_dbt", "fqn:*", ADMIN_KEYS_SELECT)


def dbt_resource() -> DbtCliResource:
    project = dbt_project()
    return DbtCliResource(project_dir=project, profiles_dir=str(project.profiles_dir), dbt_executable=dbt_executable())
