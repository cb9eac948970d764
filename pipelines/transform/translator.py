"""Maps dbt nodes onto Dagster asset keys so the UI shows one lineage graph from HDX to the marts."""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from pipelines.lib.config import Config

LAYER_GROUPS = {"staging": "staging", "intermediate": "staging", "marts": "marts"}
_VAR = re.compile(r"""\{\{\s*var\(['"](\w+)['"]\)\s*\}\}|var\(['"](\w+)['"]\)""")


def render_vars(text: str | None, values: Mapping[str, Any]) -> str | None:
    """`var('x')` in a dbt description, as people read it in the UI: `x` with the value this config runs with."""
    if not text:
        return text

    def one(m: re.Match) -> str:
        name = m.group(1) or m.group(2)
        if name not in values:
            return m.group(0)
        value = values[name]
        shown = ", ".join(map(str, value)) or "all" if isinstance(value, (list, tuple)) else value
        return f"{name} ({shown})"

    return _VAR.sub(one, text)


def raw_table_kinds(cfg: Config) -> dict[str, str]:
    """raw table -> the source kind whose asset writes it (from the config)."""
    from pipelines.lib.raw_tables import RAW_TABLES

    kinds = {r.table: kind for kind, r in cfg.sources.all()}
    defaults = {
        "presence": "presence", "hno_hpc": "needs", "jiaf_pin": "needs", "drought_needs": "needs",
        "fts_globalcluster": "funding", "fts_cluster": "funding", "fts_plan": "funding", "fts_flows": "flows",
        "pcodes": "admin", "pcode_lengths": "admin", "population": "population", "population_wide": "population",
        "sectors": "vocabularies", "org_types": "vocabularies", "hpc_plans": "vocabularies",
    }
    # raw._loads (source `loads`): models read its 3W/4W rows (an empty file is a quality issue).
    return {t: kinds.get(t, defaults.get(t, "vocabularies")) for t in RAW_TABLES} | kinds | {"loads": "presence"}


class ClusterwatchDbtTranslator(DagsterDbtTranslator):
    def __init__(self, cfg: Config, dbt_vars: Mapping[str, Any] | None = None):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_duplicate_source_asset_keys=True))
        self._kinds = raw_table_kinds(cfg)
        self._vars = dict(dbt_vars or {})

    def _rendered(self, props: Mapping[str, Any]) -> Mapping[str, Any]:
        columns = {name: {**col, "description": render_vars(col.get("description"), self._vars)}
                   for name, col in (props.get("columns") or {}).items()}
        return {**props, "description": render_vars(props.get("description"), self._vars), "columns": columns}

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        return super().get_description(self._rendered(dbt_resource_props))

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        return super().get_metadata(self._rendered(dbt_resource_props))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            schema, table = dbt_resource_props["source_name"], dbt_resource_props["name"]
            if schema == "raw":
                return dg.AssetKey(["raw", self._kinds.get(table, table)])
            return dg.AssetKey([schema, table])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        layer = fqn[1] if len(fqn) > 2 else None
        return LAYER_GROUPS.get(layer, "staging")

    def get_owners(self, dbt_resource_props: Mapping[str, Any]):
        return ["team:data-engineering"]
