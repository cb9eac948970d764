"""Row counts and column schemas of the tables a dbt build built, for their pages in the Dagster UI.

Read from the warehouse after the step's `dbt build` has exited: DuckDB allows one process at a time on
the file, so dagster-dbt's `fetch_row_counts()` (which queries while dbt still runs) cannot be used here.
Column types come from the warehouse, descriptions from the model's YAML. Views are not counted.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import dagster as dg

from pipelines.transform.translator import render_vars


def _table_metadata(con, node: Mapping[str, Any], columns: list[tuple[str, str]], values: Mapping[str, Any]) -> dict:
    schema, name = node["schema"], node.get("alias") or node["name"]
    if not columns:
        return {}
    documented = node.get("columns") or {}
    rows = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
    schema_md = dg.TableSchema(columns=[
        dg.TableColumn(name=c, type=t, description=render_vars((documented.get(c) or {}).get("description"), values))
        for c, t in columns
    ])
    return {"dagster/row_count": dg.MetadataValue.int(rows), "dagster/column_schema": schema_md}


def table_metadata(nodes: Mapping[str, Mapping[str, Any]], built: Iterable[str], values: Mapping[str, Any],
                   log=None) -> dict[str, dict]:
    """Unique id -> row count and column schema of each table (model or seed) in `built`: one
    connection and one catalog query for the whole build (each open of the warehouse costs about 50 ms)."""
    from pipelines.lib.warehouse import catalog_columns, connect

    tables = [nodes[uid] for uid in sorted(built) if uid in nodes
              and (nodes[uid].get("config") or {}).get("materialized") not in ("view", "test")]
    if not tables:
        return {}
    out = {}
    try:
        with connect(read_only=True) as con:
            columns = catalog_columns(con, sorted({n["schema"] for n in tables}))
            for node in tables:
                table = (node["schema"], node.get("alias") or node["name"])
                out[node["unique_id"]] = _table_metadata(con, node, columns.get(table, []), values)
    except Exception as exc:  # noqa: BLE001 - metadata is for the UI; never fail a build over it
        if log is not None:
            log.warning(f"row counts and column schemas not recorded: {exc}")
    return out


def with_table_metadata(events: Iterable, metadata: Mapping[str, dict]) -> list:
    """The step's events, each Output of a table model carrying its row count and column schema."""
    return [e.with_metadata({**e.metadata, **metadata[uid]})
            if isinstance(e, dg.Output) and (uid := getattr(e.metadata.get("unique_id"), "value", None)) in metadata
            and metadata[uid] else e for e in events]
