"""The published tables, read from the dbt manifest: every mart whose YAML sets `config: meta: publish: true`.

The mart's YAML (dbt_project/models/marts/<mart>.yml) is the one place that says what a published table is:
- `config: meta: {publish: true, grain: "<words>"}`: published, and its grain in words;
- its `grain` test (`key_columns: [...]`): the key, one row per combination (no `grain` test: no key);
- `config: contract: enforced: true` and every column with its `data_type`: the columns, checked by dbt;
- column `config: meta: {contract: true}`: the columns docs/ARCHITECTURE.md promises by name;
- column `config: meta: {hxl: "#tag"}`: the column's HXL hashtag (see hxl_tags.py).
A new mart with `meta.publish: true` is therefore published and checked without any Python edit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

GRAIN_TEST = "grain"  # dbt_project/tests/generic/grain.sql


class PublishedTableError(ValueError):
    """A mart marked for publication whose YAML lacks what publication needs."""


@dataclass(frozen=True)
class PublishedTable:
    name: str
    grain: str
    key_columns: tuple[str, ...]
    contract_columns: tuple[str, ...]
    columns: tuple[str, ...] = ()  # every documented column, in the mart's order (its enforced contract)
    hxl: dict[str, str] = field(default_factory=dict, compare=False, hash=False)  # column -> HXL hashtag
    schema: str = "marts"
    unique_id: str = ""  # the dbt node, e.g. model.clusterwatch.coverage

    @property
    def publish_key(self):
        import dagster as dg

        return dg.AssetKey(["published", self.name])

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.name}"


def manifest_path() -> Path:
    """The manifest of the project's DbtProject (prepared there when the dbt sources changed)."""
    from pipelines.transform.project import manifest_path as dbt_manifest_path

    return dbt_manifest_path()


def _meta(props: dict) -> dict:
    return (props.get("config") or {}).get("meta") or props.get("meta") or {}


def _key_columns(manifest: dict, unique_id: str) -> tuple[str, ...]:
    keys = [
        node.get("test_metadata", {}).get("kwargs", {}).get("key_columns")
        for node in manifest["nodes"].values()
        if node.get("resource_type") == "test" and node.get("attached_node") == unique_id
        and node.get("test_metadata", {}).get("name") == GRAIN_TEST
    ]
    if len(keys) > 1:
        raise PublishedTableError(f"{unique_id} has {len(keys)} `{GRAIN_TEST}` tests; a table has one grain")
    return tuple(keys[0]) if keys else ()


def tables_from_manifest(manifest: dict) -> tuple[PublishedTable, ...]:
    """Every model with meta.publish true, by name. Raises PublishedTableError naming what a mart lacks."""
    out = []
    for uid, node in manifest["nodes"].items():
        if node.get("resource_type") != "model" or not _meta(node).get("publish"):
            continue
        name, where = node["name"], node.get("original_file_path", uid)
        if not _meta(node).get("grain"):
            raise PublishedTableError(f"published mart {name!r} ({where}): set `config: meta: grain:` (its grain in words)")
        if not (node.get("config") or {}).get("contract", {}).get("enforced"):
            raise PublishedTableError(f"published mart {name!r} ({where}): set `config: contract: enforced: true` "
                                      "and a data_type on every column")
        columns = node.get("columns") or {}
        out.append(
            PublishedTable(
                name=name,
                grain=str(_meta(node)["grain"]),
                key_columns=_key_columns(manifest, uid),
                contract_columns=tuple(c for c, p in columns.items() if _meta(p).get("contract")),
                columns=tuple(columns),
                hxl={c: _meta(p)["hxl"] for c, p in columns.items() if _meta(p).get("hxl")},
                schema=node.get("schema") or "marts",
                unique_id=uid,
            )
        )
    return tuple(sorted(out, key=lambda t: t.name))


@lru_cache(maxsize=1)
def published_tables() -> tuple[PublishedTable, ...]:
    from pipelines.transform.project import read_manifest

    return tables_from_manifest(read_manifest(manifest_path()))


def __getattr__(name: str):
    """PUBLISHED_TABLES and TABLES_BY_NAME are read from the manifest when first used, not on import."""
    if name == "PUBLISHED_TABLES":
        return published_tables()
    if name == "TABLES_BY_NAME":
        return {t.name: t for t in published_tables()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def published_table(name: str) -> PublishedTable:
    tables = {t.name: t for t in published_tables()}
    try:
        return tables[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a published table (no mart with `meta: publish: true` of that name); "
                       f"expected one of {sorted(tables)}") from None

