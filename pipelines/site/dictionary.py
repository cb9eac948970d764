"""The data dictionary shown on the site: every published column with its type, HXL hashtag and meaning.

Types come from the published parquet itself (so no column is ever without one), hashtags from row 2
of the published CSV; descriptions from the marts' dbt YAML (read directly: the site is built inside the
Dagster code location, which must not import the CLI's docs generator).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from pipelines.site.load import Published


@dataclass
class DictColumn:
    name: str
    type: str
    hxl: str = ""
    description: str = ""


@dataclass
class DictTable:
    name: str
    description: str = ""
    columns: list[DictColumn] = field(default_factory=list)


@lru_cache(maxsize=1)  # the YAML is read once per process: publish rebuilds the site once per table
def _descriptions() -> dict[str, tuple[str, dict[str, str]]]:
    """Model -> (description, column -> description) from the marts' dbt YAML; empty when unavailable."""
    import yaml

    from pipelines.lib.paths import DBT_PROJECT_DIR

    out: dict[str, tuple[str, dict[str, str]]] = {}
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser: these files are large
    try:
        for path in sorted((DBT_PROJECT_DIR / "models" / "marts").glob("*.y*ml")):
            for m in (yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}).get("models") or []:
                cols = {c["name"]: _one_line(c.get("description")) for c in m.get("columns") or [] if c.get("name")}
                out[m["name"]] = (_one_line(m.get("description")), cols)
    except (OSError, yaml.YAMLError, AttributeError, KeyError, TypeError):
        return {}  # descriptions are a bonus; types and tags come from the published files
    return out


def _one_line(text) -> str:
    return " ".join(str(text or "").split())


def data_dictionary(pub: Published) -> list[DictTable]:
    docs = _descriptions()
    out = []
    for table, columns in pub.columns.items():
        desc, col_docs = docs.get(table, ("", {}))
        tags = pub.hxl_row(table)
        out.append(DictTable(table, desc, [DictColumn(c, typ, tags.get(c, ""), col_docs.get(c, ""))
                                           for c, typ in columns.items()]))
    return out
