"""Build published/site/: index.html, one <ISO3>.html per country, charts/*.svg and site.css.

Reads only the published files (load.py). Each file is written to a temp name and renamed, so a reader
never sees half a page; files of countries no longer published are removed. A chart is drawn again only
when the table behind it changed (charts/.keys.json keeps each chart's input hash and alt text), so the
several rebuilds of one refresh (one per published table) draw each chart once.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import time
from contextlib import contextmanager
from pathlib import Path

from pipelines.lib.files import sha256_file
from pipelines.site import chart_data, figures
from pipelines.site.draw_pool import draw_all
from pipelines.site.dictionary import data_dictionary
from pipelines.site.load import Published, open_published

TEMPLATES = Path(__file__).parent / "templates"
SITE_DIR = "site"
KEYS = ".keys.json"
CHART_CODE_VERSION = "3"  # bump when the drawing code changes, so cached charts are redrawn


def _write(path: Path, text: str) -> bool:
    """Write when the content changed; returns whether it did."""
    data = text.encode("utf-8")
    if path.exists() and path.read_bytes() == data:
        return False
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


@contextmanager
def _lock(site: Path):
    site.mkdir(parents=True, exist_ok=True)
    with open(site / ".build.lock", "a+") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def country_name(iso3: str) -> str:
    try:
        from hdx.location.country import Country

        return Country.get_country_name_from_iso3(iso3, use_live=False) or iso3  # the package's own list
    except Exception:  # noqa: BLE001 - a name is a nicety; the code is always shown
        return iso3


class Fmt:
    """Cell formatting for the tables behind the charts (full figures: the chart rounds, the table does not)."""

    @staticmethod
    def int(v) -> str:
        return figures.fmt_int(v)

    @staticmethod
    def kind(col: str) -> str:
        return "num" if re.search(r"usd|people|count|per_partner|percent|rank|days|severity", col) else ""

    @staticmethod
    def cell(col: str, v) -> str:
        if v is None:
            return "–"
        if isinstance(v, bool):
            return "yes" if v else "no"
        if col.startswith("percent"):
            return figures.fmt_pct(v)
        if isinstance(v, float):
            return f"{v:,.0f}"
        if isinstance(v, int):
            return f"{v:,}" if col != "year" else str(v)
        return str(v)


def _size(n: int | None) -> str:
    if n is None:
        return "–"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return ""


def downloads(pub: Published) -> list[dict]:
    """Every current file with its size and sha256 from the manifest; the manifest itself hashed now."""
    out = []
    for name, meta in sorted((pub.manifest.get("files") or {}).items()):
        if (pub.root / name).exists():
            note = "analysts' database" if name.endswith(".duckdb") else ("CSV with HXL row 2" if name.endswith(".csv")
                                                                          else "")
            out.append({"name": name, "size": _size(meta.get("bytes")), "sha256": meta.get("sha256", ""),
                        "note": note})
    manifest = pub.root / "manifest.json"
    if manifest.exists():
        out.append({"name": "manifest.json", "size": _size(manifest.stat().st_size), "sha256": sha256_file(manifest),
                    "note": "versions, sources, checks and hashes; hashed when this site was built"})
    return out


def table_status(pub: Published) -> list[dict]:
    out = []
    for name in pub.manifest.get("tables") or {}:
        e = pub.table_entry(name)
        out.append({"name": name, "status": e.get("status") or ("published" if e.get("version") else "unknown"),
                    "version": e.get("version"), "row_count": e.get("row_count"), "reason": e.get("reason") or ""})
    return out


def _gaps_provenance(pub: Published, country: str) -> dict:
    if not pub.has("gaps", "need_period_start", "need_period_end", "source_dataset_ids"):
        return {"period": "", "as_of": "", "sources": []}
    r = pub.rows("select min(need_period_start) as s, max(need_period_end) as e, "
                 "string_agg(distinct source_dataset_ids, ',') as ids from gaps where country_code = ?", [country])[0]
    ids = figures.dataset_ids(r["ids"])
    return {"period": figures.period_text(r["s"], r["e"]) if r["s"] or r["e"] else "",
            "as_of": figures.as_of(pub, "gaps", ids), "sources": ids}


def _svg_size(svg: str) -> tuple[int, int]:
    m = re.search(r'<svg[^>]*width="([\d.]+)pt"[^>]*height="([\d.]+)pt"', svg)
    return (round(float(m.group(1)) * 4 / 3), round(float(m.group(2)) * 4 / 3)) if m else (720, 400)


def _chart_key(table: chart_data.ChartTable) -> str:
    return hashlib.sha256(json.dumps([CHART_CODE_VERSION, table.columns, table.rows], default=str,
                                     sort_keys=True).encode()).hexdigest()


def _charts(site: Path, keys: dict, tables: dict[str, list[chart_data.ChartTable]], stats: dict
            ) -> dict[str, list[dict]]:
    """Each country's charts: the ones whose table is unchanged from the last build as they are, the others
    drawn again (all at once, on every core: draw_pool.py)."""
    out: dict[str, list[dict]] = {}
    todo: list[tuple[dict, str, str]] = []
    for country, country_tables in tables.items():
        out[country] = []
        for table in country_tables:
            name, digest = f"charts/{country}-{table.key}.svg", _chart_key(table)
            cached = keys.get(name)
            if cached and cached.get("key") == digest and (site / name).exists():
                out[country].append({"table": table, "svg": name, "alt": cached["alt"], "width": cached["w"],
                                     "height": cached["h"]})
            else:
                out[country].append({"table": table, "svg": None})
                todo.append((out[country][-1], name, digest))
    for (chart, name, digest), drawn in zip(todo, draw_all([c["table"] for c, _, _ in todo]), strict=True):
        if drawn is None:
            keys.pop(name, None)
            continue
        svg, alt = drawn
        _write(site / name, svg)
        w, h = _svg_size(svg)
        keys[name] = {"key": digest, "alt": alt, "w": w, "h": h}
        chart.update(svg=name, alt=alt, width=w, height=h)
        stats["charts_drawn"] += 1
    return out


def build_site(published_root: Path, out: Path | None = None) -> dict:
    """Build the site from the published directory; returns what was built (pages, charts, bytes, seconds)."""
    import jinja2

    started = time.perf_counter()
    root = Path(published_root)
    site = Path(out) if out else root / SITE_DIR
    with _lock(site):
        (site / "charts").mkdir(parents=True, exist_ok=True)
        pub = open_published(root)
        keys_path = site / "charts" / KEYS
        keys = json.loads(keys_path.read_text()) if keys_path.exists() else {}
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                 undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        countries = pub.countries()
        common = {"countries": countries, "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                  "version": pub.manifest.get("version"), "fmt": Fmt}
        stats = {"charts_drawn": 0}
        keep = {"index.html", "site.css", f"charts/{KEYS}"}
        cards = []
        charts_of = _charts(site, keys, {code: [
            chart_data.funding_by_cluster(pub, code), chart_data.coverage_heat(pub, code),
            chart_data.top_gaps(pub, code), chart_data.activation_timeline(pub, code)] for code in countries}, stats)
        for code in countries:
            name = country_name(code)
            figs = figures.country_figures(pub, code)
            cards.append({"code": code, "name": name, "figures": figs, "gaps": figures.worst_gaps(pub, code),
                          "gaps_prov": _gaps_provenance(pub, code)})
            charts = charts_of[code]
            keep |= {c["svg"] for c in charts if c["svg"]}
            extra = [t for t in [chart_data.funding_by_plan(pub, code)] if t and t.rows]
            page = env.get_template("country.html").render(**common, current=code, code=code, name=name,
                                                           figures=figs, charts=charts, extra_tables=extra)
            _write(site / f"{code}.html", page)
            keep.add(f"{code}.html")
        index = env.get_template("index.html").render(
            **common, current=None, cards=cards, tables=table_status(pub), downloads=downloads(pub),
            dictionary=data_dictionary(pub))
        _write(site / "index.html", index)
        _write(site / "site.css", (TEMPLATES / "site.css").read_text(encoding="utf-8"))
        keys = {k: v for k, v in keys.items() if k in keep}
        _write(keys_path, json.dumps(keys, indent=1, sort_keys=True))
        removed = [p for p in list(site.glob("*.html")) + list(site.glob("charts/*.svg"))
                   if str(p.relative_to(site)) not in keep]
        for p in removed:
            p.unlink()
        pub.con.close()
    files = [p for p in site.rglob("*") if p.is_file() and not p.name.startswith(".")]
    charts = sum(1 for name in keep if name.endswith(".svg"))
    return {"site": site, "pages": 1 + len(countries), "countries": countries, "charts": charts,
            "charts_drawn": stats["charts_drawn"], "files": len(files), "bytes": sum(p.stat().st_size for p in files),
            "seconds": time.perf_counter() - started}
