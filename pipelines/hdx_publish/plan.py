"""What `clusterwatch publish-hdx` would put on HDX: one dataset per country plus one global.

The plan is made from the published files only (manifest.json, <table>.parquet, <table>.csv): a table
whose last attempt was blocked is left out, never uploaded. Each country's resources are that country's
rows, written as CSV (with the HXL row of the published CSV as row 2) and Parquet into a staging folder;
the global dataset uploads the published files themselves.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.lib.config import Config, HdxPublishSettings
from pipelines.lib.sql import quote_literal

# Columns whose values bound each table's reference period (dataset_date): start-like and end-like.
PERIOD_COLUMNS = (("need_period_start", "need_period_end"), ("presence_period_start", "presence_period_end"),
                  ("reference_period_start", "reference_period_end"))


@dataclass
class PlannedResource:
    name: str  # e.g. coverage.csv
    table: str
    format: str  # csv or parquet
    path: Path
    description: str
    rows: int


@dataclass
class PlannedDataset:
    name: str
    title: str
    country: str | None  # None for the global dataset
    notes: str
    start: dt.date | None
    end: dt.date | None
    resources: list[PlannedResource] = field(default_factory=list)


@dataclass
class Plan:
    datasets: list[PlannedDataset]
    skipped: dict[str, str]  # table -> why it is not uploaded
    version: str | None


class PlanError(ValueError):
    """The published directory or the configuration cannot make a plan (a clear message, no traceback)."""


def _country_name(iso3: str) -> str:
    try:
        from hdx.location.country import Country

        return Country.get_country_name_from_iso3(iso3, use_live=False) or iso3
    except Exception:  # noqa: BLE001 - fictional sample countries have no name
        return iso3


def _tables(manifest: dict, settings: HdxPublishSettings, root: Path) -> tuple[list[str], dict[str, str]]:
    tables, skipped = [], {}
    for name, entry in (manifest.get("tables") or {}).items():
        if settings.tables is not None and name not in settings.tables:
            continue
        if entry.get("status") != "published" or not entry.get("version"):
            skipped[name] = f"not uploaded: {entry.get('status') or 'never published'} ({entry.get('reason') or ''})"
        elif not (root / f"{name}.parquet").exists() or not (root / f"{name}.csv").exists():
            skipped[name] = "not uploaded: its published files are missing"
        else:
            tables.append(name)
    return tables, skipped


def _period(con, tables: list[str], root: Path, country: str | None) -> tuple[dt.date | None, dt.date | None]:
    starts, ends = [], []
    for t in tables:
        cols = {r[0] for r in con.execute(f"describe select * from read_parquet({quote_literal(root / (t + '.parquet'))})").fetchall()}
        where = " where country_code = ?" if country and "country_code" in cols else ""
        for s, e in PERIOD_COLUMNS:
            if s in cols and e in cols:
                lo, hi = con.execute(f"select min({s}), max({e}) from read_parquet({quote_literal(root / (t + '.parquet'))}){where}",
                                     [country] if where else []).fetchall()[0]
                starts += [lo] if lo else []
                ends += [hi] if hi else []
    return (min(starts) if starts else None), (max(ends) if ends else None)


def _write_country_files(con, root: Path, table: str, country: str, out: Path) -> int:
    """The country's rows as <table>.parquet and <table>.csv (header, HXL row, rows in the published order)."""
    out.mkdir(parents=True, exist_ok=True)
    src = f"read_parquet({quote_literal(root / (table + '.parquet'))})"
    rel = f"select * from {src} where country_code = {quote_literal(country)}"
    con.execute(f"copy ({rel}) to {quote_literal(out / (table + '.parquet'))} (format parquet, compression zstd)")
    body = out / f".{table}.body.csv"
    con.execute(f"copy ({rel}) to {quote_literal(body)} (format csv, header false)")
    with open(root / f"{table}.csv", encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header, tags = next(reader), next(reader)
    with open(out / f"{table}.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([header, tags])
        f.write(body.read_text(encoding="utf-8"))
    body.unlink()
    return con.execute(f"select count(*) from ({rel})").fetchall()[0][0]


def _notes(settings: HdxPublishSettings, place: str, rows: dict[str, int], version: str | None) -> str:
    listing = "\n".join(f"- `{t}`: {n:,} rows" for t, n in rows.items())
    return (f"Humanitarian coverage, gaps and funding for {place}, published by clusterwatch from HDX sources "
            f"(version {version}).\n\n{listing}\n\nEach CSV carries HXL hashtags as its second row; each table is "
            f"also given as Parquet.\n\n**Methodology.** {settings.methodology_other}\n\n"
            f"**Caveats.** {settings.caveats}")


def make_plan(cfg: Config, published: Path, staging: Path) -> Plan:
    import duckdb

    settings = cfg.hdx_publish
    if settings is None:
        raise PlanError(f"no `hdx_publish` section in {cfg.source_path}: it names the HDX organisation, "
                        "maintainer, licence and tags to publish with")
    manifest_path = Path(published) / "manifest.json"
    if not manifest_path.exists():
        raise PlanError(f"nothing published yet in {published} (run `clusterwatch refresh` first)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    tables, skipped = _tables(manifest, settings, Path(published))
    con = duckdb.connect()
    datasets = []
    try:
        for country in cfg.countries:
            ds_name = f"{settings.dataset_prefix}-{country.lower()}"
            folder = Path(staging) / ds_name
            rows, resources = {}, []
            for t in tables:
                cols = {r[0] for r in con.execute(
                    f"describe select * from read_parquet({quote_literal(Path(published) / (t + '.parquet'))})").fetchall()}
                if "country_code" not in cols:
                    continue  # not a per-country table: only in the global dataset
                n = _write_country_files(con, Path(published), t, country, folder)
                if not n:
                    continue  # no rows for this country (e.g. no flows): no empty resource
                rows[t] = n
                for fmt in ("csv", "parquet"):
                    resources.append(PlannedResource(f"{t}.{fmt}", t, fmt, folder / f"{t}.{fmt}",
                                                     f"{t} for {_country_name(country)} ({rows[t]:,} rows)", rows[t]))
            start, end = _period(con, tables, Path(published), country)
            name = _country_name(country)
            datasets.append(PlannedDataset(ds_name, f"{name}: humanitarian coverage, gaps and funding", country,
                                           _notes(settings, name, rows, manifest.get("version")), start, end,
                                           resources))
        rows = {t: (manifest["tables"][t].get("row_count") or 0) for t in tables}
        resources = [PlannedResource(f"{t}.{fmt}", t, fmt, Path(published) / f"{t}.{fmt}",
                                     f"{t}, every country ({rows[t]:,} rows)", rows[t])
                     for t in tables for fmt in ("csv", "parquet")]
        start, end = _period(con, tables, Path(published), None)
        datasets.append(PlannedDataset(f"{settings.dataset_prefix}-global",
                                       "Humanitarian coverage, gaps and funding: all countries", None,
                                       _notes(settings, ", ".join(cfg.countries), rows, manifest.get("version")),
                                       start, end, resources))
    finally:
        con.close()
    return Plan(datasets, skipped, manifest.get("version"))
