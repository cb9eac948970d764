"""The published files as the site sees them: manifest.json and the top-level <table>.parquet files.

The site reads nothing else (not the warehouse, not the publish code), so it keeps working whatever
the pipeline's internals become. Marts gain columns over time: every query asks `has()` first.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.lib.sql import quote_ident, quote_literal

# The order tables are listed in; tables not named here (new marts) follow in alphabetical order.
ORDER = ("coverage", "gaps", "funding_by_cluster", "funding_by_plan", "funding_flows",
         "cluster_activations", "partners_by_type", "quality_issues")


@dataclass
class Published:
    root: Path
    manifest: dict
    con: object  # an in-memory DuckDB connection with one view per published parquet
    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> column -> SQL type

    def has(self, table: str, *cols: str) -> bool:
        return table in self.columns and all(c in self.columns[table] for c in cols)

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        rel = self.con.execute(sql, params or [])
        names = [d[0] for d in rel.description]
        return [dict(zip(names, r)) for r in rel.fetchall()]

    def countries(self) -> list[str]:
        """The configured countries, else every country found in the tables."""
        configured = (self.manifest.get("config") or {}).get("countries") or []
        found: set[str] = set()
        for t in ("coverage", "funding_by_cluster", "cluster_activations"):
            if self.has(t, "country_code"):
                found |= {r["c"] for r in self.rows(f"select distinct country_code as c from {t} where country_code is not null")}
        return sorted(set(configured) | found)

    def table_entry(self, table: str) -> dict:
        return (self.manifest.get("tables") or {}).get(table) or {}

    def sources_of(self, table: str, dataset_ids: str | None = None) -> list[dict]:
        """The loaded resources a table records (manifest), narrowed to the given comma-separated dataset ids."""
        sources = self.table_entry(table).get("sources") or []
        if dataset_ids:
            wanted = {x.strip() for x in str(dataset_ids).split(",") if x.strip()}
            picked = [s for s in sources if s.get("dataset_id") in wanted]
            return picked or sources
        return sources

    def hxl_row(self, table: str) -> dict[str, str]:
        """Column -> HXL hashtag, from row 2 of the published CSV."""
        path = self.root / f"{table}.csv"
        if not path.exists():
            return {}
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            header, tags = next(reader, []), next(reader, [])
        return dict(zip(header, tags))


def table_names(root: Path, manifest: dict) -> list[str]:
    """Every table the manifest knows or a top-level parquet exists for, in ORDER first."""
    names = set((manifest.get("tables") or {})) | {p.stem for p in Path(root).glob("*.parquet")}
    return sorted(names, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


def open_published(root: Path) -> Published:
    import duckdb

    root = Path(root)
    path = root / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    con = duckdb.connect()
    columns: dict[str, dict[str, str]] = {}
    for table in table_names(root, manifest):
        parquet = root / f"{table}.parquet"
        if not parquet.exists():
            continue
        con.execute(f"create view {quote_ident(table)} as select * from read_parquet({quote_literal(parquet)})")
        columns[table] = {r[0]: str(r[1]) for r in con.execute(f"describe {quote_ident(table)}").fetchall()}
    return Published(root=root, manifest=manifest, con=con, columns=columns)
