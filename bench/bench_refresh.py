"""Benchmark a full refresh of the scaled sample: one table of time per stage, peak memory and throughput.

    .venv/bin/python bench/bench_refresh.py                      # x10 and x100 (quick)
    .venv/bin/python bench/bench_refresh.py --scales 10 100 1000 # choose the scales (x5000 needs a quiet machine)
    .venv/bin/python bench/bench_refresh.py --real --scales 10   # the real snapshot (../shared) first

Each scale runs in its own process (its peak RSS is its own): generate the sample, `clusterwatch refresh`
as Dagster runs it, the same refresh again (nothing changed: the "no-op s" column), then two comparisons:
- "bare DuckDB": the same compiled SQL dbt ran (every model and test, in DAG order) in one DuckDB
  connection on a copy of the warehouse, the reference for dbt's own overhead;
- ten typical analyst queries on the published clusterwatch.duckdb, p50/p95 of 5 runs each.
Prints figures; asserts nothing. Figures on a machine busy with other work are inflated: compare ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

ANALYST_QUERIES = [
    "select country_code, count(*) from coverage group by 1",
    "select sector_code, sum(people_in_need) from coverage where admin_level = 1 group by 1 order by 2 desc",
    "select * from gaps where severity is not null order by rank_in_country limit 50",
    "select country_code, gap_type, count(*) from gaps group by 1, 2",
    "select country_code, year, sum(requirements_usd), sum(funding_usd) from funding_by_plan group by 1, 2",
    "select cluster_code, sum(unmet_usd) from funding_by_cluster group by 1 order by 2 desc limit 10",
    "select donor, sum(amount_usd) from funding_flows group by 1 order by 2 desc limit 20",
    "select issue_code, severity, count(*) from quality_issues group by 1, 2",
    "select country_code, count(*) filter (where is_active) from cluster_activations group by 1",
    # Each gap with its unit's coverage row (a join on the country alone would pair every row with every gap).
    "select g.country_code, count(distinct g.admin1_code), sum(c.partner_count) from gaps g join coverage c"
    " on c.country_code = g.country_code and c.admin_level = g.admin_level and c.admin1_code = g.admin1_code"
    " and c.admin2_code is not distinct from g.admin2_code and c.sector_code = g.sector_code group by 1",
]


def _stage(step_key: str) -> str:
    if step_key.startswith("raw__"):
        return "ingest"
    if "publish" in step_key:
        return "publish"
    if "check" in step_key or "suite" in step_key:
        return "checks"
    return "dbt"


def _worker(scale: float, work: Path) -> dict:
    """One scale; scale 0 is the real snapshot in ../shared with its configuration."""
    os.environ["CLUSTERWATCH_DATA_DIR"] = str(work / "data")
    from pipelines.lib.paths import CONFIG_DIR, DEFAULT_CONFIG, shared_snapshot_dir
    from pipelines.sample.generate import generate

    if scale == 0:
        snap, config = shared_snapshot_dir(), CONFIG_DIR / "hdx_snapshot.yaml"
    else:
        snap, config = work / "snapshot", _scaled_config(work, DEFAULT_CONFIG)
        generate(snap, scale=scale)
    os.environ["CLUSTERWATCH_CONFIG"] = str(config)
    os.environ["CLUSTERWATCH_SNAPSHOT"] = str(snap)
    import dagster as dg
    from dagster._core.events import DagsterEventType

    from pipelines.refresh import run_refresh

    instance = dg.DagsterInstance.ephemeral()
    started = time.perf_counter()
    run_refresh(instance, say=lambda _m: None)
    wall = time.perf_counter() - started
    full_runs = list(instance.get_runs())
    started = time.perf_counter()
    run_refresh(instance, say=lambda _m: None)  # nothing changed: sources looked at, nothing rebuilt
    noop = time.perf_counter() - started
    stages = {"ingest": 0.0, "dbt": 0.0, "checks": 0.0, "publish": 0.0}
    for run in full_runs:
        for e in instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_SUCCESS):
            stages[_stage(e.step_key)] += e.dagster_event.event_specific_data.duration_ms / 1000
    import duckdb

    from pipelines.lib.paths import published_dir, warehouse_path

    # The refreshes' peak (this process or a dbt subprocess), before the comparisons below add their own.
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    with duckdb.connect(str(warehouse_path()), read_only=True) as con:
        rows_4w = con.execute("select count(*) from raw.presence").fetchone()[0]
    bare = _bare_duckdb(work)
    queries = _analyst_queries(published_dir() / "clusterwatch.duckdb")
    return {"scale": scale, "rows_4w": rows_4w, "wall": wall, "noop": noop, **stages, "peak_rss_mb": peak / 1024, **bare, **queries}


# The scaled files outgrow the default read limits (the x5000 FTS flows CSV is over 600 MB): an information
# manager with files this size raises them in the config, as the bench does.
SCALED_LIMITS = {"max_file_mb": 8192, "max_uncompressed_mb": 16384, "max_sheet_cells": 500_000_000}


def _scaled_config(work: Path, config: Path) -> Path:
    import yaml

    cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
    cfg["limits"] = {**(cfg.get("limits") or {}), **SCALED_LIMITS}
    out = work / "config.yaml"
    out.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return out


def _bare_duckdb(work: Path) -> dict:
    """dbt build's time against the same compiled models and tests run directly in one connection."""
    import duckdb

    from pipelines.lib.paths import DBT_PROJECT_DIR, warehouse_path
    from pipelines.transform.project import dbt_env, dbt_executable

    target = work / "dbt_compiled"
    env = {**os.environ, **dbt_env(), "DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(work / "dbt_logs")}
    subprocess.run([dbt_executable(), "compile", "--quiet", "--project-dir", str(DBT_PROJECT_DIR),
                    "--profiles-dir", str(DBT_PROJECT_DIR)], env=env, cwd=DBT_PROJECT_DIR, check=True)
    copy = work / "bare" / warehouse_path().name  # same file name: the compiled SQL names its catalog
    copy.parent.mkdir()
    shutil.copy(warehouse_path(), copy)
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    order, seen = [], set()

    def visit(uid):
        if uid in seen or uid not in nodes:
            return
        seen.add(uid)
        for dep in nodes[uid].get("depends_on", {}).get("nodes", []):
            visit(dep)
        order.append(uid)

    for uid in nodes:
        visit(uid)
    from pipelines.lib.duckdb_settings import active

    con = duckdb.connect(str(copy), config=active().connection_config())  # the limits dbt's connection has
    started, n_models, n_tests = time.perf_counter(), 0, 0
    for uid in order:
        node = nodes[uid]
        sql = node.get("compiled_code")
        if not sql:
            continue
        mat = node["config"].get("materialized")
        if node["resource_type"] == "model" and node.get("language") == "python":  # the admin lookup
            _python_model(con, node, sql)
            n_models += 1
        elif node["resource_type"] == "model" and mat in ("table", "view"):
            relation = f'"{node["schema"]}"."{node["alias"]}"'
            con.execute(f'create schema if not exists "{node["schema"]}"')
            con.execute(f"create or replace {mat} {relation} as {sql}")
            n_models += 1
        elif node["resource_type"] == "test":
            con.execute(f"select count(*) from ({sql}) t").fetchone()
            n_tests += 1
    con.close()
    return {"bare_duckdb": time.perf_counter() - started, "bare_models": n_models, "bare_tests": n_tests}


def _python_model(con, node: dict, code: str) -> None:
    """A dbt Python model as dbt-duckdb runs it: its compiled module's model(dbt, session), then the table."""
    module: dict = {}
    exec(compile(code, node["unique_id"], "exec"), module)  # noqa: S102 - dbt's own compiled model
    with con.cursor() as cur:  # its own cursor, as dbt-duckdb gives it
        result = module["model"](module["dbtObj"](lambda name: cur.query(f"select * from {name}")), cur)
        cur.execute(f'create schema if not exists "{node["schema"]}"')
        cur.register("_bare_python_model", result)
        cur.execute(f'create or replace table "{node["schema"]}"."{node["alias"]}" as select * from _bare_python_model')


def _analyst_queries(db: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    times = []
    for q in ANALYST_QUERIES:
        for _ in range(5):
            t = time.perf_counter()
            con.execute(q).fetchall()
            times.append((time.perf_counter() - t) * 1000)
    con.close()
    times.sort()
    return {"q_p50_ms": statistics.median(times), "q_p95_ms": times[int(0.95 * (len(times) - 1))]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", type=float, nargs="+", default=[10, 100], help="sample scales (default 10 100)")
    ap.add_argument("--real", action="store_true", help="the real snapshot in ../shared too (first row)")
    ap.add_argument("--worker", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker is not None:
        print("RESULT " + json.dumps(_worker(args.worker, args.work)))
        return
    results = []
    for scale in ([0.0] if args.real else []) + args.scales:
        work = Path(tempfile.mkdtemp(prefix=f"clusterwatch-bench-x{scale:g}-"))
        try:
            out = subprocess.run([sys.executable, __file__, "--worker", str(scale), "--work", str(work)],
                                 capture_output=True, text=True)
            line = [x for x in out.stdout.splitlines() if x.startswith("RESULT ")]
            if out.returncode or not line:
                print(f"x{scale:g} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}", file=sys.stderr)
                continue
            results.append(json.loads(line[0].removeprefix("RESULT ")))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print(_table(results))


def _table(results: list[dict]) -> str:
    head = ("| scale | 4W rows | wall s | no-op s | ingest s | dbt s | checks s | publish s | peak RSS MB | 4W rows/s "
            "| bare DuckDB s (models+tests) | dbt / bare | analyst p50 / p95 ms |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        lines.append(
            f"| {'real' if r['scale'] == 0 else 'x%g' % r['scale']} | {r['rows_4w']:,} | {r['wall']:.1f} "
            f"| {r['noop']:.1f} | {r['ingest']:.1f} | {r['dbt']:.1f} "
            f"| {r['checks']:.1f} | {r['publish']:.1f} | {r['peak_rss_mb']:,.0f} | {r['rows_4w'] / r['wall']:,.0f} "
            f"| {r['bare_duckdb']:.1f} ({r['bare_models']}+{r['bare_tests']}) | {r['dbt'] / r['bare_duckdb']:.1f}x "
            f"| {r['q_p50_ms']:.1f} / {r['q_p95_ms']:.1f} |")
    by = {r["scale"]: r for r in results}
    if 100 in by and 1000 in by:
        lines.append(f"\nwall time x1000 / x100: {by[1000]['wall'] / by[100]['wall']:.1f}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
