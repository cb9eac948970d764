"""Write-audit-publish.

- Wiring: each publish asset waits for the blocking checks (GX suite and dbt tests) of its dbt mart, and each
  mart is its own dbt step, so one mart failing its dbt tests blocks only what is downstream of it.
- Publish machinery in a subprocess killed (os._exit) at every step of a publication, and by SIGKILL at random
  moments: what readers see is the previous release byte for byte or the next one whole, and the next
  publication recovers. A reader reopening the analyst DuckDB and the top-level files during publications sees
  one release each time, never a mix.
- REAL refreshes (`clusterwatch refresh`) on the generated sample, sharing one data directory:
  (a) every table publishes and the manifest's hashes match the files; (d) readers during a whole refresh, one
  holding clusterwatch.duckdb open, one reopening everything again and again, each see one release; (c) a
  publish run killed just before the release swap leaves the previous publication untouched; a flow status the
  funding_flows mart's dbt test rejects blocks funding_flows only, and status names the test, its file and its
  failing rows; (b) a negative FTS requirement blocks funding_by_cluster only (here only when the real snapshot
  is absent: test_quality.py runs it on the real snapshot). The real-snapshot refreshes are in test_quality.py.
- Disk full: tests/test_disk_full.py.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.publish.files import CRASH_ENV
from pipelines.quality.tables import manifest_path
from tests.test_quality import build_tiny_warehouse, refresh

REPO = Path(__file__).resolve().parents[1]
TABLES = ("coverage", "gaps", "partners_by_type", "funding_by_plan", "funding_by_cluster", "funding_by_organisation",
          "funding_flows", "cluster_activations", "quality_issues")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_of(published: Path) -> dict:
    return json.loads((published / "manifest.json").read_text(encoding="utf-8"))


def assert_published_whole(published: Path, tables=TABLES) -> dict:
    """Every current file matches the manifest; CSVs carry HXL row 2; the analysts' database matches."""
    m = manifest_of(published)
    assert m["version"] and m["built_at"]
    for name, meta in m["files"].items():
        assert sha(published / name) == meta["sha256"], name
    for t in tables:
        e = m["tables"][t]
        assert e["version"], t
        vdir = published / "versions" / e["version"] / t
        for fname, meta in e["files"].items():
            assert sha(vdir / fname) == meta["sha256"], f"{t}/{fname}"
        for fname in (f"{t}.parquet", f"{t}.csv"):
            assert m["files"][fname]["sha256"] == e["files"][fname]["sha256"]
        with open(published / f"{t}.csv", encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        assert rows[0] == e["columns"]
        assert len(rows[1]) == len(rows[0]) and all(tag.startswith("#") for tag in rows[1]), rows[1]
        assert len(rows) - 2 == e["row_count"], t
        con = duckdb.connect()
        assert con.execute(f"select count(*) from read_parquet('{published / (t + '.parquet')}')").fetchall()[0][0] == e["row_count"]
        con.close()
    con = duckdb.connect(str(published / "clusterwatch.duckdb"), read_only=True)
    try:
        listed = {r[0]: (r[1], r[2]) for r in con.execute("select table_name, version, row_count from _published").fetchall()}
        for t in tables:
            assert listed[t] == (m["tables"][t]["version"], m["tables"][t]["row_count"])
            assert con.execute(f'select count(*) from "{t}"').fetchall()[0][0] == m["tables"][t]["row_count"]
    finally:
        con.close()
    return m


# -- wiring ----------------------------------------------------------------------------------------------------
def test_publish_assets_wait_for_the_blocking_checks_of_the_dbt_marts():
    """Each published/<table> depends on the dbt mart (whatever key the translator gives it), and that mart has
    the blocking great-expectations suite and dbt's blocking tests: Dagster skips publish when one fails."""
    import dagster as dg

    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    marts = set()
    for t in TABLES:
        node = graph.get(dg.AssetKey(["published", t]))
        assert node.group_name == "publish"
        (mart,) = node.parent_keys
        assert mart in graph.materializable_asset_keys and mart.path[-1] == t
        marts.add(mart)
    for mart in marts:  # each mart in its own dbt step: a failing dbt test there blocks only what is downstream
        assert defs.resolve_assets_def(mart).keys & marts == {mart}
        checks = graph.get_check_keys_for_assets({mart})
        suite = dg.AssetCheckKey(mart, "quality_suite")
        assert suite in checks and graph.get_check_spec(suite).blocking
        dbt_tests = [k for k in checks if k != suite]
        assert dbt_tests and all(graph.get_check_spec(k).blocking for k in dbt_tests
                                 if k.name.startswith(("column_rules", "unique")))


# -- the publish machinery, killed at every step (small warehouse, publish in a subprocess) ------------------
PUBLISH_SCRIPT = textwrap.dedent(
    """
    import sys, pathlib
    from pipelines.lib.warehouse import connect
    from pipelines.publish.release import publish_now
    version, tables = sys.argv[1], sys.argv[2].split(",")
    with connect(read_only=True) as con:
        if len(sys.argv) > 3:
            pathlib.Path(sys.argv[3]).touch()  # imports done, warehouse open: the publish starts now
        publish_now(con, tables, version=version, run_id=version, keep_versions=2)
    """
)


def publish_in_subprocess(data_dir: Path, version: str, tables: list[str],
                          crash: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "CLUSTERWATCH_DATA_DIR": str(data_dir), CRASH_ENV: crash}
    return subprocess.run([sys.executable, "-c", PUBLISH_SCRIPT, version, ",".join(tables)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def publish_here(version: str, tables: list[str]) -> None:
    """The same publication, in this process (when it is not the one being killed)."""
    from pipelines.lib.warehouse import connect
    from pipelines.publish.release import publish_now

    with connect(read_only=True) as con:
        publish_now(con, tables, version=version, run_id=version, keep_versions=2)


def validate_tiny(tables) -> None:
    """Run the suites in this process (what the blocking Dagster check does before publish may run)."""
    from pipelines.quality.report import save_result
    from tests.test_quality import run_tiny_suite

    for t in tables:
        result = run_tiny_suite(t)
        assert result.success, result.failure_message()
        save_result(result)


def published_state(published: Path) -> dict:
    """What a reader sees through the top-level paths: the manifest, every file's hash, the analyst DuckDB's
    versions and the funding total in it."""
    files = {p.name: sha(p) for p in sorted(published.iterdir()) if p.is_file() and not p.name.startswith(".")}
    con = duckdb.connect(str(published / "clusterwatch.duckdb"), read_only=True)
    try:
        db = {"versions": sorted(con.execute("select table_name, version from _published").fetchall()),
              "total": con.execute("select sum(amount_usd) from funding_flows").fetchall()[0][0]}
    finally:
        con.close()
    return {"files": files, "db": db}


def assert_old_or_new(published: Path, old: dict, tables) -> str:
    """The published state is the old one byte for byte, or a whole new one (manifest, files and DuckDB agree)."""
    state = published_state(published)
    if state == old:
        return "old"
    m = assert_published_whole(published, tables)
    assert state["db"]["versions"] == sorted((t, m["tables"][t]["version"]) for t in tables), state
    return "new"


@pytest.mark.parametrize("point", ["written", "renamed", "linking", "before_manifest", "before_swap", "swapped"])
def test_killed_publication_leaves_the_old_or_the_new_version_whole(data_dir, point):
    from pipelines.publish.versions import check_consistency

    tables = ["funding_by_cluster", "funding_flows"]
    build_tiny_warehouse(data_dir / "warehouse.duckdb", flow_amount=100.0)
    validate_tiny(tables)
    publish_here("20250101T000000Z-first", tables)
    published = data_dir / "published"
    old = published_state(published)

    build_tiny_warehouse(data_dir / "warehouse.duckdb", flow_amount=250.0)  # new data for the next version
    validate_tiny(tables)
    crash = f"{point}:funding_flows" if point in ("written", "renamed", "linking") else point
    killed = publish_in_subprocess(data_dir, "20250102T000000Z-second", tables, crash=crash)
    assert killed.returncode == 75, killed.stderr

    outcome = assert_old_or_new(published, old, tables)
    assert outcome == ("new" if point == "swapped" else "old")
    if outcome == "old":
        assert old["db"]["total"] == 100.0 * 78
        assert check_consistency(published) == []
    else:
        assert published_state(published)["db"]["total"] == 250.0 * 78

    publish_here("20250103T000000Z-third", ["funding_flows"])  # repairs, then publishes
    m = assert_published_whole(published, tables)
    assert m["tables"]["funding_flows"]["version"] == "20250103T000000Z-third"
    assert m["tables"]["funding_by_cluster"]["version"] == ("20250102T000000Z-second" if point == "swapped"
                                                             else "20250101T000000Z-first")
    assert check_consistency(published) == []
    assert not [p for p in published.rglob("*.tmp")]
    assert published_state(published)["db"]["total"] == 250.0 * 78


def test_publish_killed_at_random_moments_is_the_old_or_the_new_version(data_dir, tmp_path):
    """SIGKILL of a publishing process at random moments (seeded): each time, what readers see is the
    previous publication byte for byte or the new one whole, and the next publication recovers."""
    import random
    import signal

    tables = ["funding_by_cluster", "funding_flows"]
    published = data_dir / "published"
    build_tiny_warehouse(data_dir / "warehouse.duckdb", flow_amount=100.0)
    validate_tiny(tables)
    env = {**os.environ, "CLUSTERWATCH_DATA_DIR": str(data_dir)}

    def start(i: int) -> tuple[subprocess.Popen, float]:
        ready = tmp_path / f"ready-{i}"
        proc = subprocess.Popen([sys.executable, "-c", PUBLISH_SCRIPT, f"20250101T0000{i:02d}Z-v{i:02d}",
                                 ",".join(tables), str(ready)], cwd=REPO, env=env)
        deadline = time.monotonic() + 120
        while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        return proc, time.perf_counter()

    proc, started = start(0)
    while not (published / "current").exists() and proc.poll() is None:
        time.sleep(0.002)
    span = time.perf_counter() - started  # from start to commit in such a process: the kills fall around it
    assert proc.wait(timeout=120) == 0
    rng = random.Random(14)
    outcomes = []
    for i in range(1, 9):
        build_tiny_warehouse(data_dir / "warehouse.duckdb", flow_amount=100.0 + i)
        old = published_state(published)
        proc, _ = start(i)
        time.sleep(rng.uniform(0, span * 1.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        outcome = assert_old_or_new(published, old, tables)
        if outcome == "new":
            assert published_state(published)["db"]["total"] == (100.0 + i) * 78
        outcomes.append(outcome)
    publish_here("20250102T000000Z-last", tables)  # recovers from whatever the last kill left
    m = assert_published_whole(published, tables)
    assert {m["tables"][t]["version"] for t in tables} == {"20250102T000000Z-last"}
    assert not [p for p in published.rglob("*.tmp")]
    print("outcomes:", outcomes)


def test_a_directory_published_before_releases_moves_to_them_whole(data_dir):
    """The layout before releases: regular top-level files and manifest.json, no `current`. The next publication
    turns them into links to its release; the table it did not publish keeps its bytes."""
    import shutil

    tables = ["funding_by_cluster", "funding_flows"]
    published = data_dir / "published"
    build_tiny_warehouse(data_dir / "warehouse.duckdb", flow_amount=100.0)
    validate_tiny(tables)
    publish_here("20250101T000000Z-first", tables)
    for p in list(published.iterdir()):  # back to the old layout: plain copies, no releases
        if p.is_symlink() and p.name != "current":
            data = p.read_bytes()
            p.unlink()
            p.write_bytes(data)
    (published / "current").unlink()
    shutil.rmtree(published / "releases")
    kept = sha(published / "funding_by_cluster.csv")
    build_tiny_warehouse(data_dir / "warehouse.duckdb", flow_amount=250.0)
    publish_here("20250102T000000Z-second", ["funding_flows"])
    m = assert_published_whole(published, tables)
    assert all((published / n).is_symlink() for n in [*m["files"], "manifest.json"])
    assert sha(published / "funding_by_cluster.csv") == kept
    assert m["tables"]["funding_flows"]["version"] == "20250102T000000Z-second"


def test_a_blocked_table_keeps_its_files_byte_for_byte_in_the_release(data_dir):
    """One run: funding_flows staged, funding_by_cluster blocked (as its failed check records it). The release
    makes funding_flows current, keeps funding_by_cluster's previous version byte for byte, and says why."""
    from pipelines.lib.warehouse import connect
    from pipelines.publish.manifest import record_blocked
    from pipelines.publish.release import release
    from pipelines.publish.table import stage_table

    tables = ["funding_by_cluster", "funding_flows"]
    published = data_dir / "published"
    build_tiny_warehouse(data_dir / "warehouse.duckdb", flow_amount=100.0)
    validate_tiny(tables)
    publish_here("20250101T000000Z-first", tables)
    before = {n: sha(published / n) for n in ("funding_by_cluster.csv", "funding_by_cluster.parquet")}
    build_tiny_warehouse(data_dir / "warehouse.duckdb", flow_amount=250.0)
    version = "20250102T000000Z-second"
    with connect(read_only=True) as con:
        stage_table(con, "funding_flows", version=version, run_id="second")
    record_blocked("funding_by_cluster", version=version, run_id="second", reason="dbt test(s) failed: some_test")
    assert published_state(published)["db"]["total"] == 100.0 * 78  # staged only: nothing current changed yet
    release(version, run_id="second", keep_versions=2)
    m = assert_published_whole(published, tables)
    assert {n: sha(published / n) for n in before} == before
    fbc, ff = m["tables"]["funding_by_cluster"], m["tables"]["funding_flows"]
    assert fbc["version"] == "20250101T000000Z-first" and fbc["status"] == "blocked"
    assert fbc["reason"] == (f"blocked in {version}: dbt test(s) failed: some_test; "
                             "version 20250101T000000Z-first stays current")
    assert fbc["last_attempt"]["outcome"] == "blocked"
    assert ff["version"] == version and ff["status"] == "published"
    assert m["release"] == version and m["version"] == version
    assert published_state(published)["db"]["total"] == 250.0 * 78


def test_a_run_without_the_release_step_releases_its_table_itself(data_dir):
    """Materialising one published table alone (as from the UI): its step stages it and, with no release step
    in the run, releases it; the other table keeps its version."""
    import dagster as dg

    from pipelines.cli import instance
    from pipelines.definitions import build_definitions

    tables = ["funding_by_cluster", "funding_flows"]
    published = data_dir / "published"
    build_tiny_warehouse(data_dir / "warehouse.duckdb", flow_amount=100.0)
    validate_tiny(tables)
    publish_here("20250101T000000Z-first", tables)
    build_tiny_warehouse(data_dir / "warehouse.duckdb", flow_amount=250.0)
    job = build_definitions().resolve_implicit_global_asset_job_def()
    inst = instance()
    result = job.execute_in_process(instance=inst, asset_selection=[dg.AssetKey(["published", "funding_flows"])],
                                    raise_on_error=False)
    inst.dispose()
    assert result.success
    m = assert_published_whole(published, tables)
    assert m["tables"]["funding_flows"]["run_id"] == result.run_id and m["release"].endswith(result.run_id[:8])
    assert m["tables"]["funding_by_cluster"]["version"] == "20250101T000000Z-first"
    assert published_state(published)["db"]["total"] == 250.0 * 78


def test_old_versions_are_pruned_but_current_ones_kept(data_dir):
    from pipelines.publish.versions import list_versions

    tables = ["funding_by_cluster", "funding_flows"]
    build_tiny_warehouse(data_dir / "warehouse.duckdb")
    validate_tiny(tables)
    publish_here("20250101T000000Z-v1", tables)
    for i in range(2, 5):  # funding_by_cluster stays at v1 (as if blocked since)
        publish_here(f"2025010{i}T000000Z-v{i}", ["funding_flows"])
    kept = [v["version"] for v in list_versions(data_dir / "published")]
    assert kept == ["20250104T000000Z-v4", "20250103T000000Z-v3", "20250101T000000Z-v1"]  # keep 2 + current
    assert_published_whole(data_dir / "published", tables)


def test_a_written_table_that_differs_from_its_mart_is_not_staged(data_dir, tmp_path):
    """The re-read after writing: a parquet with one value changed (same row count), a CSV missing a row, or a
    CSV record of another width is refused; the files as written pass, whatever their row order, and a record
    of several MB is one record."""
    from pipelines.publish.export import csv_data_rows, export_table, verify_table_dir
    from pipelines.publish.files import PublishError
    from pipelines.quality.tables import published_table

    build_tiny_warehouse(data_dir / "warehouse.duckdb", flows=40)
    table = published_table("funding_flows")
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        n = con.execute(f"select count(*) from {table.relation}").fetchall()[0][0]
        written = tmp_path / "written"
        export_table(con, table, written)
        assert verify_table_dir(con, table, written, row_count=n)["row_count"] == n == 40

        def copy_with(name: str, parquet_sql: str | None = None, csv_edit=None) -> Path:
            d = tmp_path / name
            d.mkdir()
            for f in written.iterdir():
                (d / f.name).write_bytes(f.read_bytes())
            if parquet_sql:
                src = f"read_parquet('{written / 'funding_flows.parquet'}')"
                con.execute(f"copy ({parquet_sql.format(src=src)}) to '{d / 'funding_flows.parquet'}' (format parquet)")
            if csv_edit:
                lines = (d / "funding_flows.csv").read_text(encoding="utf-8").splitlines(keepends=True)
                (d / "funding_flows.csv").write_text("".join(csv_edit(lines)), encoding="utf-8")
            return d

        shuffled = copy_with("shuffled", "select * from {src} order by random()")
        assert verify_table_dir(con, table, shuffled, row_count=n)["row_count"] == n
        changed = copy_with("changed", "select * replace (case when flow_id = (select min(flow_id) from {src}) "
                                       "then amount_usd + 1 else amount_usd end as amount_usd) from {src}")
        with pytest.raises(PublishError, match="differs from the mart"):
            verify_table_dir(con, table, changed, row_count=n)
        short = copy_with("short", csv_edit=lambda lines: lines[:-1])
        with pytest.raises(PublishError, match="has 39 data rows, expected 40"):
            verify_table_dir(con, table, short, row_count=n)
        wide = copy_with("wide", csv_edit=lambda lines: lines[:-1] + [lines[-1].rstrip("\n") + ",extra\n"])
        with pytest.raises(PublishError, match="cannot be read back as CSV"):
            verify_table_dir(con, table, wide, row_count=n)
    finally:
        con.close()
    # A record longer than DuckDB's default line limit (2 MB) still counts as one.
    big = tmp_path / "big.csv"
    big.write_text('a,b\n#x,#y\n1,"' + "x" * 3_000_000 + '"\n2,3\n', encoding="utf-8")
    con = duckdb.connect()
    try:
        assert csv_data_rows(con, big, 2) == 2
    finally:
        con.close()


def test_manifest_updates_are_serialised_by_a_lock(data_dir):
    """Two processes publishing at once: both tables end up in the manifest, nothing is lost."""
    tables = ["funding_by_cluster", "funding_flows"]
    build_tiny_warehouse(data_dir / "warehouse.duckdb")
    validate_tiny(tables)
    env = {**os.environ, "CLUSTERWATCH_DATA_DIR": str(data_dir)}
    script = textwrap.dedent(
        """
        import sys
        from pipelines.lib.warehouse import connect
        from pipelines.publish.release import publish_now
        with connect(read_only=True) as con:
            publish_now(con, [sys.argv[1]], version="20250101T000000Z-x", run_id="x", keep_versions=2)
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, t], cwd=REPO, env=env) for t in tables]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    m = assert_published_whole(data_dir / "published", tables)
    assert set(m["tables"]) == set(tables)


# -- real refreshes ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_data(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("sample") / "data"
    started = time.perf_counter()
    code, out = refresh(data, full=True)
    assert code == 0, out
    print(f"sample refresh: {time.perf_counter() - started:.1f}s")
    (data.parent / "refresh-output.txt").write_text(out, encoding="utf-8")  # what the terminal showed
    return data


@pytest.mark.slow
def test_sample_refresh_publishes_every_table(sample_data):
    published = sample_data / "published"
    m = assert_published_whole(published)
    for e in m["tables"].values():  # what gated it: the suite and the mart's dbt tests, in the publishing run
        assert e["status"] == "published" and e["checks"]["run_id"] == e["run_id"]
        assert "quality_suite" in e["checks"]["blocking_checks"] and len(e["checks"]["blocking_checks"]) > 1
    assert m["sources"] and all(s["source_sha256"] and s["dataset_id"] for s in m["sources"])
    assert all(e["sources"] for e in m["tables"].values())
    assert (published / "quality" / "quality_report.html").exists()
    assert [v["tables"] for v in m["versions"]] == [sorted(TABLES)]
    # the report's section per source file: every presence file's rows are loaded or excluded for a reason
    files = json.loads((published / "quality" / "source_files.json").read_text())["files"]
    presence = [f for f in files if f["source"] == "presence"]
    assert {f["country_code"] for f in presence} == {"XAR", "XBO", "XCA"}
    assert presence and all(f["rows_read"] == f["rows_loaded"] + sum(f["excluded"].values()) for f in presence)
    assert "<h2 id='source-files'>Source files</h2>" in (published / "quality" / "quality_report.html").read_text()


@pytest.mark.slow
def test_sample_refresh_prints_a_stage_summary_and_logs_dbt_to_a_file(sample_data):
    out = (sample_data.parent / "refresh-output.txt").read_text(encoding="utf-8")
    lines = out.splitlines()
    assert len(lines) <= 40, out
    assert "Traceback" not in out and "Warning" not in out, out
    assert lines[-1].startswith("dbt and Dagster log:") and "refresh finished" in lines[-2]
    log = sample_data / "logs" / "refresh.log"
    assert str(log) in lines[-1]
    # dbt's per-model and per-test lines are in the log, not on the terminal
    models = [n for n in json.loads(manifest_path().read_text())["nodes"].values() if n["resource_type"] == "model"]
    logged = log.read_text(encoding="utf-8")
    for node in models:
        assert f".{node['name']}" in logged, node["name"]
        assert f".{node['name']} " not in out
    assert "PASS" in logged and "PASS" not in out


@pytest.mark.slow
def test_status_exits_0_and_reports_json_after_a_good_refresh(sample_data, monkeypatch, capsys):
    from pipelines.cli.main import main

    monkeypatch.setenv("CLUSTERWATCH_DATA_DIR", str(sample_data))
    assert main(["status"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("OK")
    assert main(["status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["problems"] == []
    assert set(data["tables"]) == set(TABLES)
    m = manifest_of(sample_data / "published")
    for t, entry in data["tables"].items():
        assert entry == {"status": "published", "version": m["tables"][t]["version"],
                         "row_count": m["tables"][t]["row_count"], "reason": m["tables"][t]["reason"]}
        assert "checks passed" in entry["reason"]  # why this version is current
    assert data["last_run"]["status"] == "SUCCESS" and data["published_version"] == m["version"]


@pytest.mark.slow
def test_cli_runs_are_refresh_all_tagged_and_marts_carry_row_counts_and_schemas(sample_data, monkeypatch):
    import getpass

    import dagster as dg

    from pipelines.cli import instance
    from pipelines.definitions import defs

    monkeypatch.setenv("CLUSTERWATCH_DATA_DIR", str(sample_data))
    inst = instance()
    runs = inst.get_runs()
    assert runs and {r.job_name for r in runs} == {"refresh_all"}
    assert all(r.tags["clusterwatch/trigger"] == "cli" and r.tags["clusterwatch/user"] == getpass.getuser()
               for r in runs)
    # per country, then the global sources, then what depends on changed data (a first run: everything)
    assert sorted(r.tags["clusterwatch/stage"] for r in runs) == ["country-sources"] * 3 + ["downstream", "global-sources"]
    graph = defs.resolve_asset_graph()
    with duckdb.connect(str(sample_data / "warehouse.duckdb"), read_only=True) as con:
        for t in TABLES:
            (mart,) = graph.get(dg.AssetKey(["published", t])).parent_keys
            md = inst.get_latest_materialization_event(mart).asset_materialization.metadata
            schema, table = mart.path[-2], mart.path[-1]
            assert md["dagster/row_count"].value == con.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
            columns = con.execute("select column_name, data_type from information_schema.columns where table_schema = ? "
                                  "and table_name = ? order by ordinal_position", [schema, table]).fetchall()
            got = md["dagster/column_schema"].value.columns
            assert [(c.name, c.type) for c in got] == columns
            assert all(c.description and "var(" not in c.description for c in got), t


READER = textwrap.dedent(
    """
    import json, sys, time, pathlib
    import duckdb
    db, ready, stop, out = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3]), sys.argv[4]
    con = duckdb.connect(db, read_only=True)
    seen = []
    ready.touch()
    while not stop.exists():
        listed = con.execute("select table_name, version, row_count from _published").fetchall()
        counts = {t: con.execute(f'select count(*) from "{t}"').fetchall()[0][0] for t, _, _ in listed}
        seen.append({"versions": sorted({v for _, v, _ in listed}), "consistent": all(counts[t] == n for t, _, n in listed)})
        time.sleep(0.1)
    con.close()
    fresh = duckdb.connect(db, read_only=True)
    after = sorted({r[0] for r in fresh.execute("select version from _published").fetchall()})
    json.dump({"seen": seen, "after": after}, open(out, "w"))
    """
)


REOPENING_READER = textwrap.dedent(
    """
    import hashlib, json, sys, time, pathlib
    import duckdb
    root, ready, stop = (pathlib.Path(a) for a in sys.argv[1:4])
    out = sys.argv[4]

    def manifest():
        m = json.loads((root / "manifest.json").read_text())
        return m.get("release"), {t: e["version"] for t, e in m["tables"].items() if e.get("version")}, m["files"]

    seen = []
    ready.touch()
    while not stop.exists():
        try:
            rel1, tables1, files1 = manifest()
            con = duckdb.connect(str(root / "clusterwatch.duckdb"), read_only=True)  # opened afresh every time
            db = {t: v for t, v in con.execute("select table_name, version from _published").fetchall()}
            counts_ok = all(con.execute(f'select count(*) from "{t}"').fetchall()[0][0] == n
                            for t, n in con.execute("select table_name, row_count from _published").fetchall())
            con.close()
            hashes = {n: hashlib.sha256((root / n).read_bytes()).hexdigest()
                      for n in files1 if n != "clusterwatch.duckdb"}
            rel2, tables2, _ = manifest()
        except FileNotFoundError as e:  # a path that does not exist yet (before the first release)
            seen.append({"error": str(e)})
            continue
        seen.append({"rel1": rel1, "rel2": rel2, "db": db, "m1": tables1, "m2": tables2, "counts_ok": counts_ok,
                     "files_match_m1": all(files1[n]["sha256"] == h for n, h in hashes.items())})
    json.dump(seen, open(out, "w"))
    """
)


def start_reopening_reader(published: Path, tmp_path: Path) -> tuple[subprocess.Popen, Path, Path]:
    ready, stop, out = tmp_path / "r-ready", tmp_path / "r-stop", tmp_path / "r-seen.json"
    proc = subprocess.Popen([sys.executable, "-c", REOPENING_READER, str(published), str(ready), str(stop), str(out)])
    for _ in range(600):
        if ready.exists():
            break
        time.sleep(0.05)
    assert ready.exists(), "the reader did not start"
    return proc, stop, out


def assert_each_observation_is_one_release(proc: subprocess.Popen, stop: Path, out: Path) -> list[dict]:
    """Every time the reader opened the analyst DuckDB, its tables' versions were those of the manifest read
    just before or just after; when no release happened in between (same manifest both times), every
    top-level file it read was the one that manifest names."""
    stop.touch()
    assert proc.wait(timeout=120) == 0
    seen = [s for s in json.loads(out.read_text()) if "error" not in s]
    assert len(seen) > 5, seen
    for s in seen:
        assert s["counts_ok"], s
        assert s["db"] in (s["m1"], s["m2"]), f"the analyst DuckDB mixed versions: {s}"
        if s["rel1"] == s["rel2"]:
            assert s["db"] == s["m1"] and s["files_match_m1"], f"the top-level files mixed releases: {s}"
    return seen


def test_a_reader_reopening_during_publications_sees_one_release_each_time(data_dir, tmp_path):
    tables = ["funding_by_cluster", "funding_flows"]
    published = data_dir / "published"
    build_tiny_warehouse(data_dir / "warehouse.duckdb", flow_amount=100.0)
    validate_tiny(tables)
    publish_here("20250101T000000Z-v00", tables)
    proc, stop, out = start_reopening_reader(published, tmp_path)
    try:
        for i in range(1, 7):  # funding_by_cluster only every other time: releases mix old and new versions
            build_tiny_warehouse(data_dir / "warehouse.duckdb", flow_amount=100.0 + i)
            publish_here(f"20250101T0000{i:02d}Z-v{i:02d}", tables if i % 2 else ["funding_flows"])
    finally:
        seen = assert_each_observation_is_one_release(proc, stop, out)
    assert len({s["rel1"] for s in seen}) > 1  # it did read across releases


@pytest.mark.slow
def test_reader_holding_the_analyst_db_sees_one_version(sample_data, tmp_path):
    """Readers during a whole real refresh: one holds clusterwatch.duckdb open (it keeps the old version), one
    reopens it and the top-level files again and again (each time one release, never a mix)."""
    published = sample_data / "published"
    old = manifest_of(published)["version"]
    ready, stop, out = tmp_path / "ready", tmp_path / "stop", tmp_path / "seen.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(published / "clusterwatch.duckdb"), str(ready),
                               str(stop), str(out)])
    reopening = start_reopening_reader(published, tmp_path)  # and one that opens everything afresh, again and again
    try:
        for _ in range(300):
            if ready.exists():
                break
            time.sleep(0.1)
        assert ready.exists(), "the reader did not start"
        code, output = refresh(sample_data, "--force")  # nothing changed: --force publishes a new version anyway
        assert code == 0, output
        time.sleep(0.5)
    finally:
        stop.touch()
        assert reader.wait(timeout=60) == 0
        assert_each_observation_is_one_release(*reopening)
    seen = json.loads(out.read_text())
    new = manifest_of(published)["version"]
    assert new != old
    assert len(seen["seen"]) > 5
    assert all(s["consistent"] and s["versions"] == [old] for s in seen["seen"]), "the open handle saw a mix"
    assert seen["after"] == [new]
    assert_published_whole(published)


PUBLISH_ONLY = textwrap.dedent(
    """
    import sys
    from pipelines.cli import instance
    from pipelines.definitions import build_definitions
    defs = build_definitions()
    keys = [k for k in defs.resolve_asset_graph().materializable_asset_keys if k.path[0].startswith("published")]
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=instance(), asset_selection=keys, raise_on_error=False)
    sys.exit(0 if result.success else 1)
    """
)


def run_publish_only(data_dir: Path, crash: str = "") -> subprocess.CompletedProcess:
    """The publish assets alone, as a Dagster run in a subprocess (the marts and their checks are already there)."""
    env = {**os.environ, "CLUSTERWATCH_DATA_DIR": str(data_dir), CRASH_ENV: crash}
    for var in ("CLUSTERWATCH_CONFIG", "CLUSTERWATCH_SNAPSHOT", "CLUSTERWATCH_LIVE"):
        env.pop(var, None)
    return subprocess.run([sys.executable, "-c", PUBLISH_ONLY], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.slow
def test_publish_run_killed_just_before_the_release_swap(sample_data):
    """A real Dagster publish run killed when every table is staged and the release is built, just before the
    swap: nothing current changed; the next run clears what was left and publishes."""
    published = sample_data / "published"
    before = published_state(published)
    killed = run_publish_only(sample_data, crash="before_swap")
    assert killed.returncode == 75, killed.stdout[-3000:] + killed.stderr[-3000:]
    current = (published / "current").resolve()
    assert [d for d in (published / "releases").iterdir() if d != current]  # built in full, never made current
    assert published_state(published) == before
    assert_published_whole(published)
    again = run_publish_only(sample_data)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert not list(published.rglob("*.tmp"))
    m = assert_published_whole(published)
    assert all(e["checks"]["blocking_checks"] for e in m["tables"].values())


def set_first_flow_status(csv_path: Path, status: str) -> None:
    """Give the first FTS flow of the file a status no mart accepts (the bad source data)."""
    with open(csv_path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    col = rows[0].index("status")
    row = next(r for r in rows[1:] if r and not r[0].startswith("#"))
    row[col] = status
    with open(csv_path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


@pytest.mark.slow
def test_a_failing_dbt_test_blocks_only_its_mart(sample_data, capsys):
    """A flow status the funding_flows mart's dbt test rejects (no staging test looks at it): that mart's dbt step
    fails, Dagster skips its suite and its publication; the other five marts publish; status names the test."""
    import dagster as dg

    from pipelines.cli import instance
    from pipelines.definitions import defs
    from pipelines.status import status_text

    graph = defs.resolve_asset_graph()
    (mart,) = graph.get(dg.AssetKey(["published", "funding_flows"])).parent_keys
    test = next(k for k in graph.get_check_keys_for_assets({mart}) if k.name == "column_rules_funding_flows")
    published = sample_data / "published"
    baseline = manifest_of(published)
    before = {n: sha(published / n) for n in ("funding_flows.csv", "funding_flows.parquet")}
    flows = sample_data / "sample-snapshot" / "fts" / "fts_incoming_funding_global.csv"
    original = flows.read_bytes()
    try:
        set_first_flow_status(flows, "cancelled")
        code, out = refresh(sample_data, "--force")  # every mart rebuilt, not only those downstream of the flows
    finally:
        flows.write_bytes(original)  # the next tests of this module refresh from the good file
    assert code == 1, out
    assert "funding_flows" in out and test.name in out
    # printed once, without a traceback (the Dagster run log keeps it)
    # the failure once (its test named, then its failing rows), without a traceback (the Dagster run log keeps it)
    assert out.count("refresh FAILED") == 1 and out.count("was NOT published") == 1 and "Traceback" not in out, out

    m = manifest_of(published)
    ff = m["tables"]["funding_flows"]
    assert ff["status"] == "blocked" and test.name in ff["reason"]
    assert ff["version"] == baseline["tables"]["funding_flows"]["version"]  # the previous version stays current
    assert {n: sha(published / n) for n in before} == before
    for t in TABLES:
        if t != "funding_flows":
            assert m["tables"][t]["status"] == "published", t
            assert m["tables"][t]["version"] != baseline["tables"][t]["version"], t
    assert_published_whole(published)
    # the quality report is written from the released manifest: it names the blocked table
    report = json.loads((published / "quality" / "quality_report.json").read_text())
    assert report["failed_tables"] == ["funding_flows"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CLUSTERWATCH_DATA_DIR", str(sample_data))
        inst = instance()
        record = inst.get_latest_asset_check_evaluation_record(test)
        assert record.run_id == m["tables"]["coverage"]["run_id"] and record.evaluation.passed is False
        skipped = inst.get_latest_materialization_event(dg.AssetKey(["published", "funding_flows"]))
        assert skipped.run_id == baseline["tables"]["funding_flows"]["run_id"]  # Dagster did not run its publish
        text = status_text()
        from pipelines.cli.main import main

        capsys.readouterr()
        assert main(["status", "--json"]) == 1  # for scripts: a blocked table is a problem
        status = json.loads(capsys.readouterr().out)
    assert status["ok"] is False and status["tables"]["funding_flows"]["status"] == "blocked"
    assert any("funding_flows" in p and test.name in p for p in status["problems"])
    assert "blocked" in text and test.name in text
    # every failed check of the run, the dbt test with its file and failing rows (dbt's: the value, its count)
    assert f"{test.name} (error) — defined in dbt_project/models/marts/funding_flows.yml" in text, text
    assert "=cancelled" in text.split("dbt tests included")[1], text
    (failed,) = [c for c in status["failed_checks"] if c["check"] == test.name]
    assert failed["failing_rows"] == 1 and "cancelled" in failed["rows"][0].values()


@pytest.mark.slow
def test_bad_fts_data_blocks_only_its_table_on_the_sample(sample_data):
    """(b) on the sample: a negative requirement in the FTS file blocks funding_by_cluster only.

    It costs a third sample refresh, so it runs only where test_quality.py cannot run the same scenario on the
    real snapshot (../shared absent), or when CLUSTERWATCH_TEST_ALL=1."""
    from pipelines.lib.paths import shared_snapshot_dir
    from tests.test_quality import assert_blocked_run, negate_first_requirement

    if (shared_snapshot_dir() / "INDEX.md").exists() and os.environ.get("CLUSTERWATCH_TEST_ALL") != "1":
        pytest.skip("covered on the real snapshot by test_quality.py (CLUSTERWATCH_TEST_ALL=1 runs it here too)")

    published = sample_data / "published"
    baseline = manifest_of(published)
    assert baseline["tables"]["funding_by_cluster"]["status"] == "published"
    before = {n: sha(published / n) for n in ("funding_by_cluster.csv", "funding_by_cluster.parquet")}
    fts = sample_data / "sample-snapshot" / "fts" / "fts_requirements_funding_cluster_global.csv"
    negate_first_requirement(fts, "XAR")
    code, out = refresh(sample_data, "--force")  # every mart rebuilt: the others publish a new version
    assert_blocked_run(sample_data, code, out, before, baseline)

