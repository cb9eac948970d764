"""The p-code lookup table dbt joins on, built with hdx-python-country's AdminLevel."""

import dagster as dg

from pipelines.lib.warehouse import connect, ensure_raw_schema
from pipelines.settings import ClusterwatchSettings
from pipelines.sources.raw_asset import WAREHOUSE_POOL

ADMIN_LOOKUP = dg.AssetKey(["normalised", "admin_lookup"])
ADMIN_UNITS = dg.AssetKey(["normalised", "admin_units"])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ADMIN_LOOKUP,
            deps=[dg.AssetKey(["raw", k]) for k in ("presence", "needs", "admin")],
            description="Every admin code/name combination found in the presence and needs sources, resolved to COD "
            "p-codes (exact, case/space fixed, length converted, or matched by name within the parent), with the "
            "method used and any issue.",
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
)
def admin_lookup(context: dg.AssetExecutionContext, settings: ClusterwatchSettings):
    from pipelines.lib.pcodes import write_admin_lookup

    cfg = settings.config()
    with connect() as con:
        ensure_raw_schema(con)
        counts = write_admin_lookup(con, cfg.countries)
        n_units = con.execute("select count(*) from normalised.admin_units").fetchone()[0]
        n_lookup = con.execute("select count(*) from normalised.admin_lookup").fetchone()[0]
    context.log.info(f"admin lookup: {counts}")
    yield dg.MaterializeResult(
        asset_key=ADMIN_LOOKUP,
        metadata={"dagster/row_count": n_lookup, "methods": dg.MetadataValue.json(counts)},
    )
    yield dg.MaterializeResult(asset_key=ADMIN_UNITS, metadata={"dagster/row_count": n_units})
