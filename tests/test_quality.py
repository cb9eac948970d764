"""Quality gates.

Fast tests run the suites on small marts built by hand in a private warehouse. The slow test runs REAL
refreshes (`clusterwatch refresh`, in process) on a copy of the real HDX snapshot: (a) every table
publishes; then (b) bad FTS data (a negative requirement) is injected: the blocking check must stop
funding_by_cluster's publication, keep its previously published files byte-identical, let the other
tables publish, fail the run with a message naming the table, the expectation and a failing row, and
write the quality report. The same scenario on the sample is in test_publish.py (it shares its data dir).
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.config import Config
from pipelines.quality.hxl_tags import explicit_tag
from pipelines.quality.results import SAMPLE_ROWS, SuiteResult
from pipelines.quality.tables import PUBLISHED_TABLES

REPO = Path(__file__).resolve().parents[1]
REAL_CONFIG = REPO / "pipelines" / "config" / "hdx_snapshot.yaml"


# -- a small warehouse built by hand ----------------------------------------------------------------------
def tiny_config(**publish) -> Config:
    return Config.model_validate(
        {"name": "tiny", "countries": ["XAR", "XBO"], "as_of": "2025-11-21", "sources": {},
         "publish": {"keep_versions": 2, "max_row_count_change": 0.5, **publish}}
    )


FUNDING = [
    # country, year, plan_id, plan_code, cluster_code, fts_cluster_id, cluster_name, requirements, funding
    ("XAR", 2025, 1, "HXAR25", "FSC", "6", "Food Security", 1000.0, 250.0),
    ("XAR", 2025, 1, "HXAR25", "FSC", "26512", "Agriculture", 200.0, 20.0),
    ("XAR", 2025, 1, "HXAR25", "HEA", "7", "Health", 500.0, 500.0),
    ("XAR", 2024, 1, "HXAR24", "HEA", "7", "Health", 400.0, 100.0),
    ("XBO", 2025, 2, "HXBO25", "NOT_SPECIFIED", None, "Not specified", None, -40.0),
]


def build_tiny_warehouse(path: Path, *, funding=FUNDING, flows: int = 12, fts=None, flow_amount: float = 100.0) -> None:
    """marts.funding_by_cluster and marts.funding_flows with the sources their suites reconcile against."""
    from pipelines.lib.warehouse import ensure_raw_schema

    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        ensure_raw_schema(con)
        for schema in ("marts", "staging", "reference"):
            con.execute(f"create schema if not exists {schema}")
        for t in ("marts.funding_by_cluster", "marts.funding_flows", "staging.stg_fts__requirements_globalcluster",
                  "staging.stg_fts__flows", "reference.sectors"):
            con.execute(f"drop table if exists {t}")
        con.execute(
            "create table reference.sectors as select * from (values ('FSC', 'Food Security'), ('HEA', 'Health'), "
            "('Intersectoral', 'Intersectoral')) v(sector_code, sector_name)"
        )
        con.execute(
            "create table staging.stg_fts__requirements_globalcluster (country_code varchar, year integer, "
            "requirements_usd double, funding_usd double)"
        )
        con.executemany(
            "insert into staging.stg_fts__requirements_globalcluster values (?, ?, ?, ?)",
            [(r[0], r[1], r[7], r[8]) for r in (fts if fts is not None else funding)],
        )
        con.execute(
            "create table marts.funding_by_cluster (country_code varchar, year integer, plan_code varchar, "
            "plan_name varchar, cluster_code varchar, cluster_name varchar, requirements_usd double, "
            "funding_usd double, percent_funded double, unmet_usd double, plan_id bigint, fts_cluster_id varchar, "
            "source_dataset_ids varchar)"
        )
        con.executemany(
            "insert into marts.funding_by_cluster values (?, ?, ?, ?, ?, ?, ?, ?, "
            "case when ? > 0 then ? / ? * 100 end, case when ? is not null then greatest(? - coalesce(?, 0), 0) end, "
            "?, ?, 'fts-test')",
            [
                (c, y, code, f"Plan {code}", cl, name, req, fund, req, fund, req, req, req, fund, pid, fid)
                for c, y, pid, code, cl, fid, name, req, fund in funding
            ],
        )
        con.execute(
            "create table marts.funding_flows as select i as flow_id, date '2025-03-01' + i::integer as date, "
            "2025 as year, 'Donor ' || i as donor, 'Government' as donor_type, 'Org ' || i as recipient_org, "
            "'NGO' as recipient_type, case when i % 2 = 0 then 'XAR' else 'XBO' end as country_code, "
            f"'HXAR25' as plan_code, 'FSC' as cluster_codes, {flow_amount} * i as amount_usd, 'paid' as status, "
            f"'Standard' as flow_type from range(1, {flows + 1}) t(i)"
        )
        con.execute(
            "create table staging.stg_fts__flows as select flow_id, country_code as dest_locations "
            "from marts.funding_flows"
        )
        con.execute(
            "insert or replace into raw._loads values ('fts_test', 'all', 'fts_globalcluster', 'abc123', 'fp', 5, "
            "'fts-test', 'res-1', '2025-11-01T00:00:00', 'fts.csv', now()::timestamp, 0.1)"
        )
    finally:
        con.close()


def run_tiny_suite(table: str, cfg: Config | None = None, previous: int | None = None) -> SuiteResult:
    from pipelines.lib.warehouse import connect
    from pipelines.quality.runner import run_suite
    from pipelines.quality.suites import SuiteContext, build_suite

    with connect(read_only=True) as con:
        suite = build_suite(con, table, SuiteContext(cfg or tiny_config(), previous, "v-prev" if previous else None))
        return run_suite(con, suite)


def by_name(result: SuiteResult) -> dict:
    return {e.name: e for e in result.expectations}


@pytest.fixture
def tiny(data_dir) -> Path:
    build_tiny_warehouse(data_dir / "warehouse.duckdb")
    return data_dir


def test_funding_suite_passes_on_consistent_data(tiny):
    result = run_tiny_suite("funding_by_cluster")
    assert result.success, result.failure_message()
    # negative funding without a requirement (an FTS refund) is reported but does not block
    assert [e.name for e in result.warnings] == ["funding_usd_not_negative"]
    for e in result.to_json()["expectations"]:
        assert {"name", "success", "observed", "failing_rows_sample"} <= set(e)
        assert len(e["failing_rows_sample"]) <= SAMPLE_ROWS


def test_funding_suite_names_each_failure_with_failing_rows(tiny):
    bad = [
        *FUNDING,
        ("XAR", 2025, 1, "HXAR25", "HEA", "7", "Health", 10.0, 1.0),  # duplicate key
        ("XAR", 2025, 1, "HXAR25", "WSH", "11", "Water", -300.0, 5.0),  # negative requirement, unknown code
        ("ZZZ", 2025, 9, "HZZZ25", "FSC", "6", "Food Security", 5.0, 1.0),  # country not configured
    ]
    build_tiny_warehouse(tiny / "warehouse.duckdb", funding=bad, fts=FUNDING)
    result = run_tiny_suite("funding_by_cluster")
    assert not result.success
    failed = {e.name for e in result.failed}
    assert {"key_unique", "requirements_usd_not_negative", "cluster_code_accepted", "country_code_in_config",
            "totals_reconcile_with_fts"} <= failed
    neg = by_name(result)["requirements_usd_not_negative"]
    assert neg.failing_count == 1
    assert neg.failing_rows_sample[0]["requirements_usd"] == -300.0
    assert neg.failing_rows_sample[0]["cluster_code"] == "WSH"
    recon = by_name(result)["totals_reconcile_with_fts"]
    assert recon.engine == "sql"
    assert {(r["country_code"], r["year"]) for r in recon.failing_rows_sample} == {("XAR", 2025), ("ZZZ", 2025)}
    message = result.failure_message()
    assert "funding_by_cluster" in message and "requirements_usd_not_negative" in message and "-300" in message


def test_flows_suite_reconciles_flow_ids(tiny):
    assert run_tiny_suite("funding_flows").success
    con = duckdb.connect(str(tiny / "warehouse.duckdb"))
    con.execute("insert into staging.stg_fts__flows values (999, 'XAR'), (998, 'FRA')")  # 998 is not ours
    con.execute("insert into marts.funding_flows select * replace (-5.0 as amount_usd) from marts.funding_flows where flow_id = 1")
    con.close()
    result = run_tiny_suite("funding_flows")
    failed = {e.name: e for e in result.failed}
    assert set(failed) == {"flow_id_unique", "amount_usd_not_negative", "flows_reconcile_with_fts"}
    assert {r["flow_id"] for r in failed["flows_reconcile_with_fts"].failing_rows_sample} == {1, 999}


def test_row_count_is_compared_with_the_previous_published_version(tiny):
    assert by_name(run_tiny_suite("funding_flows", previous=None))["row_count_change"].success
    assert by_name(run_tiny_suite("funding_flows", previous=10))["row_count_change"].success  # 12 rows: +20%
    change = by_name(run_tiny_suite("funding_flows", previous=40))["row_count_change"]  # -70%
    assert not change.success and change.observed == 12
    loose = tiny_config(max_row_count_change=0.8)
    assert by_name(run_tiny_suite("funding_flows", cfg=loose, previous=40))["row_count_change"].success


def test_a_suite_that_cannot_run_blocks(tiny):
    from pipelines.quality.checks import evaluate
    from pipelines.quality.tables import published_table

    result = evaluate(published_table("coverage"), tiny_config(), run_id="r", version="v")  # no coverage mart
    assert not result.success
    assert result.failed[0].name == "suite_ran" and "coverage" in result.failed[0].error


def test_result_json_round_trip(tiny):
    result = run_tiny_suite("funding_by_cluster")
    again = SuiteResult.from_json(json.loads(json.dumps(result.to_json())))
    assert again.to_json() == result.to_json()


def test_every_contract_column_has_an_hxl_tag():
    missing = [f"{t.name}.{c}" for t in PUBLISHED_TABLES for c in t.contract_columns if not explicit_tag(t.name, c)]
    assert not missing


# -- real refreshes ---------------------------------------------------------------------------------------
def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refresh(data_dir: Path, *args: str, env: dict | None = None) -> tuple[int, str]:
    """`clusterwatch refresh` as its own process, with a private data dir. (A process per refresh: the country
    partitions of the raw assets are fixed when the definitions are imported, so configs cannot share one.)"""
    from pipelines.settings import ENV_CONFIG, ENV_LIVE, ENV_SNAPSHOT

    run_env = {**os.environ, "CLUSTERWATCH_DATA_DIR": str(data_dir), **(env or {})}
    for var in (ENV_CONFIG, ENV_SNAPSHOT, ENV_LIVE, "CLUSTERWATCH_PUBLISH_CRASH_AT"):
        if var not in (env or {}):
            run_env.pop(var, None)
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "refresh", *args], cwd=REPO, env=run_env,
                          capture_output=True, text=True, timeout=1500)
    return done.returncode, done.stdout + ("\n" + done.stderr[-5000:] if done.returncode else "")


def negate_first_requirement(csv_path: Path, country: str) -> dict:
    """Make one FTS global-cluster requirement negative (the bad source data); returns the edited row."""
    text = csv_path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    cc, req = header.index("countryCode"), header.index("requirements")
    for row in rows[1:]:
        if row[cc] == country and row[req] not in ("", "0") and not row[0].startswith("#"):
            row[req] = "-" + row[req].lstrip("-")
            edited = dict(zip(header, row))
            break
    else:
        raise AssertionError(f"no FTS requirement for {country} in {csv_path}")
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    csv_path.write_text(buf.getvalue(), encoding="utf-8")
    return edited


def assert_blocked_run(data_dir: Path, code: int, output: str, before: dict[str, str], baseline: dict) -> None:
    from pipelines.status import status_text

    published = data_dir / "published"
    assert code == 1, output
    assert "funding_by_cluster" in output and "requirements_usd_not_negative" in output
    assert "failing row:" in output and "requirements_usd=-" in output
    # the blocked table's published files are untouched
    for name, digest in before.items():
        assert sha(published / name) == digest, f"{name} changed although funding_by_cluster was blocked"
    manifest = json.loads((published / "manifest.json").read_text())
    fbc = manifest["tables"]["funding_by_cluster"]
    assert fbc["status"] == "blocked" and fbc["version"] == baseline["tables"]["funding_by_cluster"]["version"]
    assert "requirements_usd_not_negative" in fbc["reason"]
    assert fbc["last_attempt"]["outcome"] == "blocked"
    # the other tables published a new version
    for t in ("coverage", "gaps", "funding_flows", "cluster_activations", "quality_issues"):
        assert manifest["tables"][t]["status"] == "published"
        assert manifest["tables"][t]["version"] != baseline["tables"][t]["version"], t
    assert manifest["files"]["funding_by_cluster.csv"]["sha256"] == before["funding_by_cluster.csv"]
    # Dagster really skipped the blocked publish step: its last materialization is the baseline run's
    import dagster as dg

    from pipelines.cli import instance

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CLUSTERWATCH_DATA_DIR", str(data_dir))
        inst = instance()
        fbc_event = inst.get_latest_materialization_event(dg.AssetKey(["published", "funding_by_cluster"]))
        cov_event = inst.get_latest_materialization_event(dg.AssetKey(["published", "coverage"]))
        from pipelines.definitions import defs

        (mart,) = defs.resolve_asset_graph().get(dg.AssetKey(["published", "funding_by_cluster"])).parent_keys
        check = inst.get_latest_asset_check_evaluation_record(dg.AssetCheckKey(mart, "quality_suite"))
        assert fbc_event.run_id == baseline["tables"]["funding_by_cluster"]["run_id"]
        assert cov_event.run_id == manifest["tables"]["coverage"]["run_id"] != fbc_event.run_id
        assert check.run_id == cov_event.run_id
        assert check.event.dagster_event.event_specific_data.passed is False
        text = status_text()
    # the quality report says what failed, for people
    report = json.loads((published / "quality" / "quality_report.json").read_text())
    assert report["failed_tables"] == ["funding_by_cluster"]
    html = (published / "quality" / "quality_report.html").read_text()
    assert "requirements_usd_not_negative" in html and "FAILED" in html
    assert "funding_by_cluster" in text and "requirements_usd_not_negative" in text and "blocked" in text


def copy_real_snapshot(real_snapshot: Path, dest: Path) -> Path:
    """The files the real-snapshot config reads, copied at test time (never into the repo)."""
    from pipelines.lib.config import load_config

    cfg = load_config(REAL_CONFIG)
    for _, res in cfg.sources.all():
        for rel in (res.path, res.metadata):
            if rel:
                target = dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(real_snapshot / rel, target)
                os.chmod(target, 0o644)
    return dest


@pytest.mark.slow
@pytest.mark.real
def test_real_snapshot_publishes_then_bad_fts_data_blocks_only_its_table(tmp_path, real_snapshot):
    snap = copy_real_snapshot(real_snapshot, tmp_path / "snapshot")
    data = tmp_path / "data"
    args = ("--config", str(REAL_CONFIG), "--snapshot", str(snap))
    code, out = refresh(data, *args)
    assert code == 0, out
    published = data / "published"
    # (a) on the real snapshot: every table publishes, and the manifest's hashes match the files
    from tests.test_publish import assert_published_whole

    baseline = assert_published_whole(published)
    assert {s["source_key"] for s in baseline["sources"]} >= {"fts_globalcluster_all", "hno_hpc_2024", "som_3w_2025_jan_apr"}
    fbc = baseline["tables"]["funding_by_cluster"]
    assert fbc["row_count"] > 100 and fbc["checks"]["success"]
    assert {s["dataset_id"] for s in fbc["sources"]} == {"global-requirements-and-funding-data"}
    for e in baseline["tables"].values():
        assert e["status"] == "published"
        assert e["sources"] and all(s["resource_modified"] and s["source_sha256"] for s in e["sources"])
    before = {n: sha(published / n) for n in ("funding_by_cluster.csv", "funding_by_cluster.parquet")}

    from pipelines.lib.config import load_config

    fts = next(r for r in load_config(REAL_CONFIG).resources("funding") if r.table == "fts_globalcluster")
    edited = negate_first_requirement(snap / fts.path, "SOM")
    assert edited["requirements"].startswith("-")
    code, out = refresh(data, *args)
    assert_blocked_run(data, code, out, before, baseline)
