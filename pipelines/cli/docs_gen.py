"""Generate docs/data-dictionary.md from the dbt documentation of the published marts.

The column descriptions live in one place, the dbt model YAMLs beside the models
(dbt_project/models/marts/<mart>.yml), which `dbt docs` also shows. This module reads those YAMLs
and writes a Markdown data dictionary for donors and analysts: for each published table its grain,
key, description, and every column with its HXL hashtag (row 2 of the published CSV), whether it is
part of the published contract, its accepted values when dbt tests them, and its description.

Run `clusterwatch docs` after changing a mart's YAML; a test checks the committed file is current.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipelines.lib.paths import DBT_PROJECT_DIR, REPO_ROOT

MARTS_DIR = DBT_PROJECT_DIR / "models" / "marts"
DATA_DICTIONARY = REPO_ROOT / "docs" / "data-dictionary.md"


@dataclass
class ColumnDoc:
    name: str
    description: str = ""
    data_type: str | None = None
    accepted_values: list | None = None
    not_null: bool = False
    in_contract: bool = False
    hxl: str = ""


@dataclass
class TableDoc:
    name: str
    grain: str
    key_columns: tuple[str, ...]
    description: str = ""
    columns: list[ColumnDoc] = field(default_factory=list)
    source_file: str | None = None


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _tests(column: dict) -> list:
    return list(column.get("data_tests") or column.get("tests") or [])


def _arguments(test: dict, kind: str) -> dict:
    spec = test[kind] or {}
    return {**(spec.get("arguments") or {}), **{k: v for k, v in spec.items() if k not in ("arguments", "name", "config")}}


def _column_rules(model: dict) -> dict:
    """The arguments of the model's column_rules test (dbt_project/tests/generic/column_rules.sql)."""
    for t in _tests(model):
        if isinstance(t, dict) and "column_rules" in t:
            return _arguments(t, "column_rules")
    return {}


def _accepted_values(column: dict, model: dict) -> list | None:
    """A column-level accepted_values test, or the column's list in the model's column_rules test."""
    for t in _tests(column):
        if isinstance(t, dict) and "accepted_values" in t:
            values = _arguments(t, "accepted_values").get("values")
            if values is not None:
                return list(values)
    values = (_column_rules(model).get("accepted_values") or {}).get(column.get("name"))
    return None if values is None else list(values)


def _not_null(column: dict, model: dict) -> bool:
    """A column-level not_null test, or the column listed under not_null in the model's column_rules test."""
    return (any(t == "not_null" or (isinstance(t, dict) and "not_null" in t) for t in _tests(column))
            or column.get("name") in set(_column_rules(model).get("not_null") or []))


def model_yamls(marts_dir: Path = MARTS_DIR) -> dict[str, tuple[dict, Path]]:
    """Model name -> (its YAML entry, the file), for every model documented under marts/."""
    found: dict[str, tuple[dict, Path]] = {}
    for path in sorted(marts_dir.glob("*.yml")) + sorted(marts_dir.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in data.get("models") or []:
            if isinstance(model, dict) and model.get("name"):
                found[model["name"]] = (model, path)
    return found


def table_docs(marts_dir: Path = MARTS_DIR) -> list[TableDoc]:
    """The published tables in publication order, documented from their dbt YAML."""
    from pipelines.quality.hxl_tags import hxl_tag
    from pipelines.quality.tables import PUBLISHED_TABLES

    yamls = model_yamls(marts_dir)
    out = []
    for table in PUBLISHED_TABLES:
        model, path = yamls.get(table.name, ({}, None))
        doc = TableDoc(
            name=table.name,
            grain=table.grain,
            key_columns=table.key_columns,
            description=_one_line(model.get("description")),
            source_file=str(path.relative_to(REPO_ROOT)) if path else None,
        )
        documented = [c for c in model.get("columns") or [] if isinstance(c, dict) and c.get("name")]
        names = [c["name"] for c in documented]
        # Contract columns are published whatever the YAML says: list any the YAML forgot.
        for name in table.contract_columns:
            if name not in names:
                documented.append({"name": name, "description": ""})
        for c in documented:
            doc.columns.append(
                ColumnDoc(
                    name=c["name"],
                    description=_one_line(c.get("description")),
                    data_type=c.get("data_type"),
                    accepted_values=_accepted_values(c, model),
                    not_null=_not_null(c, model),
                    in_contract=c["name"] in table.contract_columns,
                    hxl=hxl_tag(table.name, c["name"]),
                )
            )
        out.append(doc)
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(tables: list[TableDoc]) -> str:
    lines = [
        "# Data dictionary",
        "",
        "<!-- GENERATED by `clusterwatch docs` (pipelines/cli/docs_gen.py) from dbt_project/models/marts/*.yml."
        " Do not edit by hand: change the model YAML and regenerate. -->",
        "",
        "Every published table in `data/published/` (parquet, CSV, and a table in `clusterwatch.duckdb`).",
        "The CSV files carry the **HXL hashtag** of each column as row 2. Columns marked **contract** are a",
        "promise: they keep their name and meaning from one version to the next (a change is announced in the",
        "README). Other columns may be added. *required* means the column is never empty (a dbt test checks it).",
        "",
        "| table | grain | rows are unique by |",
        "|---|---|---|",
    ]
    for t in tables:
        key = ", ".join(f"`{k}`" for k in t.key_columns) or "(no key: one row per problem found)"
        lines.append(f"| [`{t.name}`](#{t.name}) | {t.grain} | {key} |")
    for t in tables:
        lines += ["", f"## {t.name}", "", f"**Grain:** {t.grain}.", ""]
        if t.description:
            lines += [t.description, ""]
        lines += [
            f"Files: `{t.name}.parquet`, `{t.name}.csv`, table `{t.name}` in `clusterwatch.duckdb`."
            + (f" Documented in `{t.source_file}`." if t.source_file else ""),
            "",
            "| column | type | HXL | | description |",
            "|---|---|---|---|---|",
        ]
        for c in t.columns:
            flags = []
            if c.in_contract:
                flags.append("contract")
            if c.not_null:
                flags.append("required")
            desc = c.description or "*(not documented yet)*"
            if c.accepted_values:
                desc += " Values: " + ", ".join(f"`{v}`" for v in c.accepted_values) + "."
            lines.append(f"| `{c.name}` | {c.data_type or ''} | `{c.hxl}` | {', '.join(flags)} | {_cell(desc)} |")
    return "\n".join(lines) + "\n"


def write_data_dictionary(out: Path = DATA_DICTIONARY, marts_dir: Path = MARTS_DIR) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = render(table_docs(marts_dir))
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out
