"""The quality report for information managers, and each table's latest suite result shown in it.

Only a report: publication is gated by Dagster's blocking asset checks, never by these files.

published/quality/
    results/<table>.json     the latest suite result of each table, as its check wrote it
    quality_report.json      every table: served version and why, each expectation with pass/fail, failing rows
    quality_report.html      the same, readable in a browser (one section per table, then one per source file)
    source_files.json        each source file's rows read, loaded and excluded by reason, and its issues
                             (quality/source_files.py, written when the quality_issues suite runs)
"""
from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path

from pipelines.lib.paths import published_dir
from pipelines.publish.files import atomic_write_bytes
from pipelines.publish.manifest import read_manifest
from pipelines.quality import source_files
from pipelines.quality.results import SuiteResult, jsonable
from pipelines.quality.tables import PUBLISHED_TABLES

REPORT_JSON = "quality_report.json"
REPORT_HTML = "quality_report.html"


def quality_dir(root: Path | None = None) -> Path:
    return Path(root or published_dir()) / "quality"


def _results_dir(root: Path | None = None) -> Path:
    return quality_dir(root) / "results"


def save_result(result: SuiteResult, root: Path | None = None) -> Path:
    d = _results_dir(root)
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{result.table}.json"
    atomic_write_bytes(path, json.dumps(result.to_json(), indent=2, ensure_ascii=False).encode("utf-8"))
    return path


def latest_result(table: str, root: Path | None = None) -> SuiteResult | None:
    path = _results_dir(root) / f"{table}.json"
    if not path.exists():
        return None
    return SuiteResult.from_json(json.loads(path.read_text(encoding="utf-8")))


def build_report(root: Path | None = None) -> dict:
    manifest = read_manifest(root)
    tables = []
    for t in PUBLISHED_TABLES:
        result = latest_result(t.name, root)
        entry = manifest.get("tables", {}).get(t.name) or {}
        # blocked in its latest attempt (by a dbt test or the suite): failed, whatever the last suite result says
        blocked = (entry.get("last_attempt") or {}).get("outcome") == "blocked"
        tables.append(
            {
                "table": t.name,
                "grain": t.grain,
                "checked": result is not None or blocked,
                "passed": False if blocked else (None if result is None else result.success),
                "serving_version": entry.get("version"),
                "publication": entry.get("status") or "never published",
                "reason": entry.get("reason"),
                "blocking_checks": (entry.get("checks") or {}).get("blocking_checks", []),
                "result": None if result is None else result.to_json(),
            }
        )
    return {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "published_version": manifest.get("version"),
        "tables": tables,
        "failed_tables": [t["table"] for t in tables if t["passed"] is False],
        "source_files": source_files.load(quality_dir(root)),
    }


def write_quality_report(root: Path | None = None) -> tuple[Path, Path]:
    report = build_report(root)
    d = quality_dir(root)
    d.mkdir(parents=True, exist_ok=True)
    jpath, hpath = d / REPORT_JSON, d / REPORT_HTML
    atomic_write_bytes(jpath, json.dumps(jsonable(report), indent=2, ensure_ascii=False).encode("utf-8"))
    atomic_write_bytes(hpath, render_html(report).encode("utf-8"))
    return jpath, hpath


# -- HTML ------------------------------------------------------------------------------------------------------
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:72rem;color:#222;line-height:1.4}
h1{font-size:1.6rem} h2{margin-top:2.5rem;border-bottom:2px solid #ddd;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem} th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3} .pass{color:#1a7f37;font-weight:600} .fail{color:#b42318;font-weight:600} .muted{color:#666}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:.8rem;font-size:.85rem;font-weight:600}
.badge.pass{background:#dafbe1} .badge.fail{background:#ffebe9} .badge.none{background:#eee;color:#555}
code{font-size:.85em;background:#f6f6f6;padding:0 .2em}
""" + source_files.CSS


def _e(v) -> str:
    return html.escape("" if v is None else str(v))


def _badge(passed) -> str:
    if passed is None:
        return '<span class="badge none">not checked</span>'
    return '<span class="badge pass">passed</span>' if passed else '<span class="badge fail">FAILED</span>'


def _rows_table(rows: list[dict]) -> str:
    if not rows:
        return ""
    cols = list(dict.fromkeys(c for r in rows for c in r))
    head = "".join(f"<th>{_e(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_e(r.get(c))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def render_html(report: dict) -> str:
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>clusterwatch quality report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>clusterwatch quality report</h1>",
        f"<p class='muted'>Generated {_e(report['generated_at'])}. Published version: "
        f"<code>{_e(report.get('published_version') or 'none')}</code>. A table is published only when every "
        "expectation below passes; otherwise its previous published version stays in place.</p>",
        "<table><tr><th>table</th><th>checks</th><th>served version</th><th>why</th></tr>",
    ]
    for t in report["tables"]:
        parts.append(
            f"<tr><td><a href='#{_e(t['table'])}'>{_e(t['table'])}</a></td><td>{_badge(t['passed'])}</td>"
            f"<td><code>{_e(t['serving_version'] or 'none')}</code></td><td>{_e(t['reason'] or '')}</td></tr>"
        )
    parts.append("</table>")
    if report.get("source_files"):
        parts.append("<p><a href='#source-files'>Source files</a>: rows read, loaded and excluded, and what to fix, "
                     "per file.</p>")
    for t in report["tables"]:
        parts.append(f"<h2 id='{_e(t['table'])}'>{_e(t['table'])} {_badge(t['passed'])}</h2>")
        parts.append(f"<p class='muted'>Grain: {_e(t['grain'])}. Publication: {_e(t['publication'])}"
                     + (f" — {_e(t['reason'])}" if t["reason"] else "") + "</p>")
        r = t["result"]
        if r is None:
            parts.append("<p>The checks of this table have not run yet.</p>")
            continue
        parts.append(
            f"<p>Checked {_e(r['evaluated_at'])} on {r['row_count']:,} rows in {r['seconds']:.1f}s: {_e(r['summary'])}.</p>"
        )
        parts.append("<table><tr><th></th><th>expectation</th><th>observed</th><th>failing rows</th></tr>")
        for e in r["expectations"]:
            mark = "<span class='pass'>✔ pass</span>" if e["success"] else "<span class='fail'>✘ FAIL</span>"
            observed = f"error: {e['error']}" if e.get("error") else e.get("observed")
            failing = "" if e.get("failing_count") is None else f"{e['failing_count']:,}"
            parts.append(
                f"<tr><td>{mark}</td><td><b>{_e(e['name'])}</b><br>{_e(e['description'])}</td>"
                f"<td>{_e(observed)}</td><td>{failing}</td></tr>"
            )
        parts.append("</table>")
        for e in r["expectations"]:
            if not e["success"] and e.get("failing_rows_sample"):
                parts.append(f"<h3>Failing rows: {_e(e['name'])} <span class='muted'>(up to 10)</span></h3>")
                parts.append(_rows_table(e["failing_rows_sample"]))
        if t["blocking_checks"]:
            parts.append("<h3>Blocking checks the served version passed</h3><p>"
                         + ", ".join(f"<code>{_e(name)}</code>" for name in t["blocking_checks"]) + "</p>")
    parts.append(source_files.render_html(report.get("source_files")))
    parts.append("</body></html>")
    return "\n".join(parts)
