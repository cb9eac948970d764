"""The p-code lookup table dbt joins on, built with hdx-python-country's AdminLevel from dbt's int_admin_keys."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.lib.warehouse import connect, ensure_raw_schema
from pipelines.settings import ClusterwatchSettings, open_warehouse
from pipelines.sources.raw_asset import WAREHOUSE_POOL

ADMIN_LOOKUP = dg.AssetKey(["normalised", "admin_lookup"])
ADMIN_UNITS = dg.AssetKey(["normalised", "admin_units"])


def build_admin_lookup(admin_keys: dg.AssetKey) -> dg.AssetsDefinition:
    """The lookup asset, downstream of the dbt model of keys (`admin_keys`, as the dbt translator names it)."""

    @dg.multi_asset(
        specs=[
            dg.AssetSpec(
                ADMIN_LOOKUP,
                deps=[admin_keys, dg.AssetKey(["raw", "admin"])],
                description="Every admin code/name combination of int_admin_keys (presence and needs sources), "
                "resolved to COD p-codes (exact, case/space fixed, length converted, or matched by name within the "
                "parent, with the admin-name exceptions of pipelines/config/admin_names.yaml), with the method used "
                "and any issue.",
                group_name="staging",
                owners=["team:data-engineering"],
                kinds={"python", "duckdb"},
            ),
            dg.AssetSpec(
                ADMIN_UNITS,
                deps=[dg.AssetKey(["raw", "admin"])],
                description="COD admin 1 and 2 units (p-code, name, parent) of the configured countries.",
                group_name="staging",
                owners=["team:data-engineering"],
                kinds={"duckdb"},
            ),
        ],
        pool=WAREHOUSE_POOL,
        name="admin_lookup",
    )
    def admin_lookup(context: dg.AssetExecutionContext, settings: ClusterwatchSettings, warehouse: DuckDBResource):
        from pipelines.lib.pcode_lookup import write_admin_lookup

        cfg = settings.config()
        with open_warehouse(warehouse) as con:
            ensure_raw_schema(con)
            counts = write_admin_lookup(con, cfg.countries, cfg.admin_name_rules())
            n_units = con.execute("select count(*) from normalised.admin_units").fetchone()[0]
            n_lookup = con.execute("select count(*) from normalised.admin_lookup").fetchone()[0]
        context.log.info(f"admin lookup: {counts}")
        yield dg.MaterializeResult(
            asset_key=ADMIN_LOOKUP,
            metadata={"dagster/row_count": n_lookup, "methods": dg.MetadataValue.json(counts)},
        )
        yield dg.MaterializeResult(asset_key=ADMIN_UNITS, metadata={"dagster/row_count": n_units})

    return admin_lookup


def refresh_admin_lookup_without_dagster(settings: ClusterwatchSettings, say=print) -> dict:
    """The same two steps outside Dagster (`clusterwatch ingest`): dbt builds the keys, then the lookup.

    A plain `dbt build` afterwards finds normalised.admin_lookup in place (the test fixtures do this)."""
    import json
    import os

    from pipelines.lib.pcode_lookup import write_admin_lookup
    from pipelines.transform.dbt_assets import dbt_resource, dbt_vars
    from pipelines.transform.dbt_selections import ADMIN_KEYS_SELECT
    from pipelines.transform.project import dbt_env, dbt_project, dbt_work_dir

    os.environ.update(dbt_env())
    args = ["build", "--select", ADMIN_KEYS_SELECT, "--vars", json.dumps(dbt_vars(settings))]
    dbt_resource().cli(args, manifest=dbt_project().manifest_path, target_path=dbt_work_dir() / "target" / "ingest").wait()
    say(f"  dbt build --select {ADMIN_KEYS_SELECT}: done")
    cfg = settings.config()
    with connect() as con:
        return write_admin_lookup(con, cfg.countries, cfg.admin_name_rules())
