"""The quality report's section per source file: what became of each file's rows, and what to fix.

For each 3W/4W file (intermediate.int_presence): rows read, rows loaded (used by the marts), and the rows
excluded, by reason (int_presence's exclusion reasons, and usable rows coverage cannot place at its admin level,
int_coverage__presence). For every file with problems (intermediate.int_quality_issues: every row, any source):
the issues by code and severity with counts and the most frequent values to fix, and some failing rows naming
file and dataset.
Taken from the warehouse when the quality_issues suite runs (the run's own rows, published or not), stored as
published/quality/source_files.json, and read by report.py.
"""
from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path

import duckdb

from pipelines.publish.files import atomic_write_bytes
from pipelines.quality.results import jsonable

SOURCE_FILES_JSON = "source_files.json"
TOP_VALUES = 5  # values to fix shown per issue
FAILING_ROWS = 10  # rows with an error shown per file

# Why a row of a 3W/4W file is not used, in words (int_presence exclusion_reason, quality_issues issue_code).
REASONS = {
    "admin_unmatched": "admin1 not matched to a COD unit",
    "unknown_sector": "sector not known (add an alias)",
    "no_organisation": "no organisation name or acronym",
    "duplicate_row": "exact duplicate of an earlier row (counted once)",
    "not_at_coverage_level": "no admin2 unit where coverage is at admin2 (not given or not matched)",
}

_PRESENCE = """
    select source_key, dataset_id, source_file as file, min(country_code) as country_code, count(*) as rows_read,
           count(*) filter (where exclusion_reason is not null) as rows_excluded_at_load
    from intermediate.int_presence
    group by all
"""
_EXCLUDED = """
    select source_key, exclusion_reason as reason, count(*) as n
    from intermediate.int_presence where exclusion_reason is not null
    group by all
"""
# The files coverage uses (int_coverage__sources chose them), and their usable rows it cannot place.
_COVERAGE = """
    select source_key, count(*) filter (where not at_coverage_level) as not_placed
    from intermediate.int_coverage__presence
    group by all
"""
_ISSUES = """
    with counted as (
        select source, source_key, dataset_id, file, severity, issue_code, field, value, count(*) as n
        from intermediate.int_quality_issues where file is not null
        group by all
    )
    select source, source_key, min(dataset_id) as dataset_id, file, severity, issue_code, field, sum(n) as n,
           list(struct_pack(value := value, n := n) order by n desc, value)[1:{top}] as top_values
    from counted
    group by source, source_key, file, severity, issue_code, field
    order by file, severity, n desc
"""
_FAILING = """
    select source_key, dataset_id, file, "row", field, value, issue
    from intermediate.int_quality_issues where severity = 'error' and file is not null
    qualify row_number() over (partition by source_key, file order by "row", field) <= {n}
    order by file, "row"
"""


def _records(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                            [schema, table]).fetchone()[0])


def summarise(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """One entry per source file, 3W/4W files first (with their row accounting), then the others with issues."""
    has_presence = _exists(con, "intermediate", "int_presence")
    # every row with a problem (the published quality_issues counts the rows that share one)
    if not _exists(con, "intermediate", "int_quality_issues"):
        return []
    files: dict[tuple, dict] = {}
    if has_presence:
        for r in _records(con, _PRESENCE):
            files[(r["source_key"], r["file"])] = {
                "source": "presence", "source_key": r["source_key"], "dataset_id": r["dataset_id"], "file": r["file"],
                "country_code": r["country_code"], "rows_read": r["rows_read"], "rows_loaded": None,
                "in_coverage": False, "excluded": {}, "issues": [], "failing_rows": []}
        by_key = {f["source_key"]: f for f in files.values()}  # a presence source is one file
        for r in _records(con, _EXCLUDED):
            by_key[r["source_key"]]["excluded"][r["reason"]] = r["n"]
        if _exists(con, "intermediate", "int_coverage__presence"):
            for r in _records(con, _COVERAGE):
                if r["source_key"] in by_key:
                    by_key[r["source_key"]]["in_coverage"] = True
                    if r["not_placed"]:
                        by_key[r["source_key"]]["excluded"]["not_at_coverage_level"] = r["not_placed"]
        for f in files.values():
            f["rows_loaded"] = f["rows_read"] - sum(f["excluded"].values())
    for r in _records(con, _ISSUES.format(top=TOP_VALUES)):
        key = (r["source_key"], r["file"])
        entry = files.setdefault(key, {
            "source": r["source"], "source_key": r["source_key"], "dataset_id": r["dataset_id"], "file": r["file"],
            "country_code": None, "rows_read": None, "rows_loaded": None, "in_coverage": None, "excluded": {},
            "issues": [], "failing_rows": []})
        entry["issues"].append({k: r[k] for k in ("severity", "issue_code", "field", "n")}
                               | {"top_values": [dict(v) for v in r["top_values"]]})
    for r in _records(con, _FAILING.format(n=FAILING_ROWS)):
        if (r["source_key"], r["file"]) in files:
            files[(r["source_key"], r["file"])]["failing_rows"].append(r)
    return sorted(files.values(), key=lambda f: (f["rows_read"] is None, f["source"], f["country_code"] or "",
                                                 f["file"] or ""))


def save(con: duckdb.DuckDBPyConnection, quality_dir: Path) -> Path:
    data = {"generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "files": summarise(con)}
    quality_dir.mkdir(parents=True, exist_ok=True)
    path = quality_dir / SOURCE_FILES_JSON
    atomic_write_bytes(path, json.dumps(jsonable(data), indent=2, ensure_ascii=False).encode("utf-8"))
    return path


def load(quality_dir: Path) -> dict | None:
    path = quality_dir / SOURCE_FILES_JSON
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


# -- HTML ------------------------------------------------------------------------------------------------------
CSS = """
.sev{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:.8rem;font-weight:600}
.sev.error{background:#ffebe9;color:#b42318} .sev.warning{background:#fff4d6;color:#8a5a00}
tr.error td:first-child{border-left:4px solid #b42318} tr.warning td:first-child{border-left:4px solid #d4a017}
"""


def _e(v) -> str:
    return html.escape("" if v is None else str(v))


def _n(v) -> str:
    return "—" if v is None else f"{v:,}"


def _values(top: list[dict]) -> str:
    return ", ".join(f"<code>{_e(v['value'] if v['value'] is not None else '(empty)')}</code> ×{v['n']:,}"
                     for v in top)


def render_html(summary: dict | None) -> str:
    if not summary or not summary.get("files"):
        return ""
    files = summary["files"]
    parts = [
        "<h2 id='source-files'>Source files</h2>",
        f"<p class='muted'>From the latest run ({_e(summary['generated_at'])}). For each file: what became of its "
        "rows, then its problems: <span class='sev error'>error</span> = the row or figure is excluded from the "
        "marts (fix it in the file or the configuration); <span class='sev warning'>warning</span> = corrected "
        "or doubtful, still used.</p>",
        "<table><tr><th>file</th><th>dataset</th><th>country</th><th>rows read</th><th>rows loaded</th>"
        "<th>rows excluded</th><th>errors</th><th>warnings</th></tr>",
    ]
    for i, f in enumerate(files):
        errors = sum(x["n"] for x in f["issues"] if x["severity"] == "error")
        warnings = sum(x["n"] for x in f["issues"] if x["severity"] == "warning")
        excluded = sum(f["excluded"].values()) if f["rows_read"] is not None else None
        parts.append(
            f"<tr><td><a href='#file-{i}'>{_e(f['file'])}</a></td><td>{_e(f['dataset_id'])}</td>"
            f"<td>{_e(f['country_code'] or '')}</td><td>{_n(f['rows_read'])}</td><td>{_n(f['rows_loaded'])}</td>"
            f"<td>{_n(excluded)}</td><td>{_n(errors)}</td><td>{_n(warnings)}</td></tr>")
    parts.append("</table>")
    for i, f in enumerate(files):
        parts.append(f"<h3 id='file-{i}'>{_e(f['file'])}</h3><p class='muted'>HDX dataset "
                     f"<code>{_e(f['dataset_id'])}</code>, source <code>{_e(f['source_key'])}</code> "
                     f"({_e(f['source'])}{', ' + _e(f['country_code']) if f['country_code'] else ''})</p>")
        if f["rows_read"] is not None:
            share = f" ({f['rows_loaded'] / f['rows_read']:.1%})" if f["rows_read"] else ""
            used = ("" if f.get("in_coverage") else " This file is not one coverage uses for its country (another "
                    "3W/4W was chosen, see int_coverage__sources); its rows still show which sectors it reports.")
            parts.append(f"<p>{_n(f['rows_read'])} rows read, <b>{_n(f['rows_loaded'])} loaded</b>{share}.{used}</p>")
            if f["excluded"]:
                parts.append("<table><tr><th>rows excluded</th><th>why</th></tr>" + "".join(
                    f"<tr class='error'><td>{n:,}</td><td>{_e(REASONS.get(r, r))} <code>{_e(r)}</code></td></tr>"
                    for r, n in sorted(f["excluded"].items(), key=lambda kv: -kv[1])) + "</table>")
        if f["issues"]:
            parts.append("<table><tr><th>severity</th><th>issue</th><th>field</th><th>rows</th>"
                         "<th>most frequent values (to fix)</th></tr>")
            for x in f["issues"]:
                parts.append(
                    f"<tr class='{_e(x['severity'])}'><td><span class='sev {_e(x['severity'])}'>{_e(x['severity'])}"
                    f"</span></td><td><code>{_e(x['issue_code'])}</code></td><td>{_e(x['field'])}</td>"
                    f"<td>{x['n']:,}</td><td>{_values(x['top_values'])}</td></tr>")
            parts.append("</table>")
        if f["failing_rows"]:
            parts.append(f"<p class='muted'>Rows with an error (up to {FAILING_ROWS}):</p><table><tr><th>file</th>"
                         "<th>dataset</th><th>row</th><th>field</th><th>value</th><th>issue</th></tr>")
            parts += [f"<tr class='error'><td>{_e(r['file'])}</td><td>{_e(r['dataset_id'])}</td><td>{_e(r['row'])}"
                      f"</td><td>{_e(r['field'])}</td><td>{_e(r['value'])}</td><td>{_e(r['issue'])}</td></tr>"
                      for r in f["failing_rows"]]
            parts.append("</table>")
    return "\n".join(parts)
