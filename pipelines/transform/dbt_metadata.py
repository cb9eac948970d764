"""Row counts and column schemas of the tables a dbt step built, for their pages in the Dagster UI.

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


def with_table_metadata(events: Iterable, nodes: Mapping[str, Mapping[str, Any]], values: Mapping[str, Any],
                        log=None) -> list:
    """The step's events, each Output of a table model carrying its row count and column schema."""
    from pipelines.lib.warehouse import catalog_columns, connect

    events = list(events)
    wanted = [e for e in events if isinstance(e, dg.Output) and "unique_id" in e.metadata
              and (nodes.get(e.metadata["unique_id"].value) or {}).get("config", {}).get("materialized") != "view"]
    if not wanted:
        return events
    extra = {}
    try:
        with connect(read_only=True) as con:
            known = [e for e in wanted if e.metadata["unique_id"].value in nodes]
            # One catalog query for every table of the step (one per table cost about 11 ms each).
            columns = catalog_columns(con, sorted({nodes[e.metadata["unique_id"].value]["schema"] for e in known}))
            for e in known:
                node = nodes[e.metadata["unique_id"].value]
                table = (node["schema"], node.get("alias") or node["name"])
                extra[id(e)] = _table_metadata(con, node, columns.get(table, []), values)
    except Exception as exc:  # noqa: BLE001 - metadata is for the UI; never fail a build over it
        if log is not None:
            log.warning(f"row counts and column schemas not recorded: {exc}")
    return [e.with_metadata({**e.metadata, **extra[id(e)]}) if extra.get(id(e)) else e for e in events]
