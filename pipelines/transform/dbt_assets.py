"""The dbt models as Dagster assets, one asset step per part of the plan in dbt_steps.py.

`dbt build` runs models and their tests; dagster-dbt turns error-severity tests into blocking asset checks.
A failed step stops only what is downstream of it: one mart failing its tests blocks its own publication.
One dbt invocation per run, shared by every step (dbt_shared.py); the admin lookup is a dbt Python model in it.
"""

import json
import os
from functools import lru_cache

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets, get_asset_key_for_model

from pipelines.lib.paths import DBT_PROJECT_DIR
from pipelines.settings import ClusterwatchSettings, current_config
from pipelines.sources.raw_asset import WAREHOUSE_POOL
from pipelines.transform.dbt_cli import ClusterwatchDbtCliResource
from pipelines.transform.dbt_metadata import table_metadata, with_table_metadata
from pipelines.transform.dbt_shared import shared_build, step_broken_nodes, step_events, unit_test_args
from pipelines.transform.dbt_steps import DbtStep, plan_steps
from pipelines.transform.dbt_vars import config_dbt_vars
from pipelines.transform.project import dbt_env, dbt_executable, dbt_project, parse_target, read_manifest
from pipelines.transform.translator import ClusterwatchDbtTranslator

REST_STEP = "clusterwatch_dbt"


def dbt_vars(settings: ClusterwatchSettings) -> dict:
    """Config values the models use, passed as --vars so config stays the one place to change them."""
    return config_dbt_vars(settings.config())


@lru_cache(maxsize=1)
def description_vars() -> dict:
    """The vars descriptions name: dbt_project.yml's defaults, overridden by what this config passes."""
    import yaml

    defaults = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8")).get("vars", {})
    return {**defaults, **config_dbt_vars(current_config())}


@lru_cache(maxsize=1)
def dbt_nodes() -> dict:
    return read_manifest()["nodes"]


@lru_cache(maxsize=1)
def dbt_steps() -> tuple[DbtStep, ...]:
    manifest = read_manifest(dbt_project().manifest_path)
    return tuple(plan_steps(manifest, REST_STEP))


def _failed_tests(events: list) -> list[str]:
    return [e.check_name for e in events
            if isinstance(e, dg.AssetCheckResult) and not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]


def _record_blocked_mart(context, mart: str, reason: str) -> None:
    """For people (status, quality report): the mart's table is blocked, and why. Dagster does the blocking."""
    from pipelines.publish.manifest import record_blocked, run_version
    from pipelines.quality.report import write_quality_report
    from pipelines.quality.tables import TABLES_BY_NAME

    if mart in TABLES_BY_NAME:
        record_blocked(mart, version=run_version(context.instance, context.run_id), run_id=context.run_id,
                       reason=reason)
        write_quality_report()


def _failing_rows_text(tests: list[str], per_test: int = 3) -> str:
    """Some failing rows of each failed test, as dbt stored them (quality/dbt_failures.py), for the message."""
    from pipelines.quality.dbt_failures import failing_rows
    from pipelines.settings import open_warehouse, warehouse_resource

    lines = []
    try:
        with open_warehouse(warehouse_resource(read_only=True)) as con:  # dbt has exited: the file is free
            for test in tests:
                n, rows = failing_rows(con, test, limit=per_test)
                lines += [f"\n  - {test}: {n:,} failing row(s)"] + [
                    "\n      failing row: " + ", ".join(f"{k}={str(v)[:40]}" for k, v in r.items()) for r in rows]
    except Exception as e:  # noqa: BLE001 - the message names the tests anyway
        lines.append(f"\n  (failing rows not readable: {type(e).__name__})")
    return "".join(lines)


def dbt_build(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: ClusterwatchSettings, step: DbtStep):
    """`dbt build` of the step; a failed test or model fails the step with a message naming it."""
    # Eager indirect selection, as dagster-dbt assumes when it lists each step's checks (see dbt_steps.py).
    os.environ.update({**dbt_env(), "DBT_INDIRECT_SELECTION": "eager"})
    dbt_args = ["build", "--vars", json.dumps(dbt_vars(settings))]
    target = parse_target(dbt_vars(settings))
    dbt_args += unit_test_args(context)
    # The shared build of the run (transform/dbt_shared.py), this step's part of it.
    manifest, translator, key_of = _shared_build_inputs()
    build = shared_build(context, dbt, dbt_args, list(dbt_steps()), key_of, manifest, dbt_project().manifest_path,
                         target, translator)
    events = step_events(context, build, step, manifest, translator, dbt_project())
    broken = step_broken_nodes(context, build, step, manifest, key_of)
    error = f"{', '.join(broken)}" if broken else None
    # Held until dbt has exited: the tables' row counts and column types are read from the warehouse then.
    metadata = build.table_metadata(lambda built: table_metadata(dbt_nodes(), built, description_vars(),
                                                                 log=context.log))
    seen = with_table_metadata(events, metadata)
    yield from seen
    failed = _failed_tests(seen)
    if not failed and error is None:
        return
    what = f"dbt test(s) failed: {', '.join(failed)}" if failed else f"dbt build failed: {error}"
    if step.mart:
        _record_blocked_mart(context, step.mart, what)
        raise dg.Failure(description=f"table {step.mart!r} was NOT published: {what}. "
                         "The previously published version stays current." + _failing_rows_text(failed))
    raise dg.Failure(description=f"dbt step {step.name}: {what}. Nothing downstream of it is published.")


@lru_cache(maxsize=1)
def _shared_build_inputs():
    """The manifest, the translator and each node's asset key, for the shared build's steps."""
    project = dbt_project()
    manifest = read_manifest(project.manifest_path)
    translator = ClusterwatchDbtTranslator(current_config(), description_vars())
    keys: dict[str, dg.AssetKey] = {}

    def key_of(uid: str) -> dg.AssetKey:
        if uid not in keys:
            keys[uid] = translator.get_asset_spec(manifest, uid, project).key
        return keys[uid]

    return manifest, translator, key_of


def dbt_manifest_and_keys():
    """The manifest and a function giving each dbt node's asset key (as the translator names it)."""
    manifest, _, key_of = _shared_build_inputs()
    return manifest, key_of


def _asset_step(step: DbtStep) -> dg.AssetsDefinition:
    project = dbt_project()

    @dbt_assets(manifest=project.manifest_path, project=project,
                dagster_dbt_translator=ClusterwatchDbtTranslator(current_config(), description_vars()),
                select=step.select, exclude=step.exclude or None, pool=WAREHOUSE_POOL, name=step.name)
    def _step(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: ClusterwatchSettings):
        yield from dbt_build(context, dbt, settings, step)

    return _step


def build_dbt_assets() -> list[dg.AssetsDefinition]:
    """Every dbt model: staging and intermediate in one step, then one step per mart."""
    return [_asset_step(s) for s in dbt_steps()]


def mart_checks(steps: list[dg.AssetsDefinition], tables) -> tuple[dict, dict]:
    """Each published table's mart asset key (as the translator names it, never guessed) and its blocking
    dbt tests. A published table without a dbt model of its name is a definition error."""
    built = {k for d in steps for k in d.keys}
    keys, checks = {}, {}
    for t in tables:
        try:
            keys[t.name] = get_asset_key_for_model(steps[:1], t.name)  # every step shares one manifest
        except KeyError as e:
            raise ValueError(f"published table {t.name!r} has no dbt model of that name in dbt_project/models") from e
        if keys[t.name] not in built:
            raise ValueError(f"published table {t.name!r}: its model is not built by any dbt step")
        checks[t.name] = sorted(
            (s.key for d in steps for s in d.check_specs if s.asset_key == keys[t.name] and s.blocking),
            key=lambda k: k.name,
        )
    return keys, checks


def dbt_resource() -> DbtCliResource:
    project = dbt_project()
    return ClusterwatchDbtCliResource(project_dir=project, profiles_dir=str(project.profiles_dir),
                                      dbt_executable=dbt_executable())
