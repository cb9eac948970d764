"""Quality gates: dbt owns each mart's rules, GX compares with the previously published version.

- The published tables come from the dbt manifest (marts with `meta: publish: true`): a new mart needs no
  Python edit, and a mart that lacks what publication needs is an error naming it.
- The GX suites (row count and null shares against the previous published version) run on small marts
  built by hand in a private warehouse.
- The dbt singular reconciliations fail, naming the rows, when a mart no longer matches its real source:
  a copy of the session's real-snapshot warehouse with one value of a copy of the real FTS file changed.
- The slow test runs REAL refreshes (`clusterwatch refresh`, in process) on a copy of the real HDX snapshot:
  (a) every table publishes; then (b) bad FTS data (a negative requirement) is injected: the blocking dbt
  check must stop funding_by_cluster's publication, keep its previously published files byte-identical, let
  the other tables publish, fail the run with a message naming the table and the test, and write the
  quality report. The same scenario on the sample is in test_publish.py (it shares its data dir).
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
from pipelines.quality.hxl_tags import explicit_tag, hxl_tag
from pipelines.quality.results import SAMPLE_ROWS, SuiteResult
from pipelines.quality.tables import PUBLISHED_TABLES, PublishedTableError, published_table, tables_from_manifest

REPO = Path(__file__).resolve().parents[1]
REAL_CONFIG = REPO / "pipelines" / "config" / "hdx_snapshot.yaml"
# the dbt test that stops a negative FTS requirement (dbt_project/models/marts/funding_by_cluster.yml)
NEGATIVE_REQUIREMENT_TEST = "not_negative_funding_by_cluster_requirements_usd"


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


def run_tiny_suite(table: str, cfg: Config | None = None, previous: int | None = None,
                   previous_parquet: Path | None = None) -> SuiteResult:
    from pipelines.lib.warehouse import connect
    from pipelines.quality.runner import run_suite
    from pipelines.quality.suites import SuiteContext, build_suite

    ctx = SuiteContext(cfg or tiny_config(), previous, "v-prev" if previous else None, previous_parquet)
    with connect(read_only=True) as con:
        return run_suite(con, build_suite(con, table, ctx))


def by_name(result: SuiteResult) -> dict:
    return {e.name: e for e in result.expectations}


@pytest.fixture
def tiny(data_dir) -> Path:
    build_tiny_warehouse(data_dir / "warehouse.duckdb")
    return data_dir


# -- the published tables, from the dbt manifest ------------------------------------------------------------
def test_published_tables_are_the_marts_marked_publish_in_their_yaml():
    from pipelines.cli.docs_gen import model_yamls

    marked = {name for name, (model, _) in model_yamls().items()
              if ((model.get("config") or {}).get("meta") or {}).get("publish")}
    assert {t.name for t in PUBLISHED_TABLES} == marked
    assert {"coverage", "gaps", "funding_by_cluster", "funding_flows", "cluster_activations", "quality_issues"} <= marked
    coverage = published_table("coverage")
    assert coverage.grain == "country × admin unit × sector" and coverage.relation == "marts.coverage"
    assert coverage.key_columns == ("country_code", "admin1_code", "admin2_code", "sector_code")  # its grain test
    assert published_table("quality_issues").key_columns == ()  # no grain test: no key
    for t in PUBLISHED_TABLES:  # the ARCHITECTURE contract columns are among the mart's enforced columns
        assert set(t.contract_columns) <= set(t.columns) and t.contract_columns, t.name


def _manifest(model: dict, *tests: dict) -> dict:
    nodes = {"model.clusterwatch.funding_by_plan": {"resource_type": "model", "name": "funding_by_plan",
                                                    "schema": "marts", **model}}
    for i, t in enumerate(tests):
        nodes[f"test.clusterwatch.t{i}"] = {"resource_type": "test", "attached_node": "model.clusterwatch.funding_by_plan",
                                            **t}
    return {"nodes": nodes}


def test_a_new_mart_marked_publish_is_published_without_python_edits():
    model = {
        "config": {"meta": {"publish": True, "grain": "country × year × plan"}, "contract": {"enforced": True}},
        "columns": {
            "country_code": {"config": {"meta": {"hxl": "#country+code", "contract": True}}},
            "year": {"config": {"meta": {"contract": True}}},
            "plan_code": {"meta": {"hxl": "#activity+appeal+id+external"}},  # column meta outside config too
            "note": {},
        },
    }
    grain = {"test_metadata": {"name": "grain", "kwargs": {"key_columns": ["country_code", "year", "plan_code"]}}}
    other = {"test_metadata": {"name": "not_null", "kwargs": {"column_name": "year"}}}
    (t,) = tables_from_manifest(_manifest(model, grain, other))
    assert (t.name, t.grain, t.relation) == ("funding_by_plan", "country × year × plan", "marts.funding_by_plan")
    assert t.key_columns == ("country_code", "year", "plan_code")
    assert t.contract_columns == ("country_code", "year") and t.columns == ("country_code", "year", "plan_code", "note")
    assert t.hxl == {"country_code": "#country+code", "plan_code": "#activity+appeal+id+external"}
    unpublished = {**model, "config": {**model["config"], "meta": {"grain": "x"}}}
    assert tables_from_manifest(_manifest(unpublished, grain)) == ()


@pytest.mark.parametrize("config, says", [
    ({"meta": {"publish": True}, "contract": {"enforced": True}}, "grain:"),
    ({"meta": {"publish": True, "grain": "one plan"}}, "contract: enforced: true"),
])
def test_a_mart_marked_publish_without_what_publication_needs_is_an_error(config, says):
    with pytest.raises(PublishedTableError, match="funding_by_plan") as e:
        tables_from_manifest(_manifest({"config": config, "columns": {}}))
    assert says in str(e.value)


def test_hxl_tags_come_from_the_mart_yaml():
    assert hxl_tag("coverage", "people_in_need") == "#inneed"
    assert hxl_tag("funding_flows", "country_code") == "#country+code+impl"  # per table, not per column name
    assert hxl_tag("coverage", "need_source") == "#meta+need_source"  # untagged: a generated #meta tag
    missing = [f"{t.name}.{c}" for t in PUBLISHED_TABLES for c in t.contract_columns if not explicit_tag(t.name, c)]
    assert not missing


# -- GX: the comparison with the previous published version --------------------------------------------------
def test_suites_hold_only_the_comparison_with_the_previous_version(tiny):
    first = run_tiny_suite("funding_by_cluster")
    assert first.success, first.failure_message()
    assert [e.name for e in first.expectations] == ["row_count_change"]  # nothing to compare with yet
    assert first.expectations[0].observed == "no previous published version"
    for e in first.to_json()["expectations"]:
        assert {"name", "success", "observed", "failing_rows_sample"} <= set(e)
        assert len(e["failing_rows_sample"]) <= SAMPLE_ROWS


def test_row_count_is_compared_with_the_previous_published_version(tiny):
    assert by_name(run_tiny_suite("funding_flows", previous=None))["row_count_change"].success
    assert by_name(run_tiny_suite("funding_flows", previous=10))["row_count_change"].success  # 12 rows: +20%
    change = by_name(run_tiny_suite("funding_flows", previous=40))["row_count_change"]  # -70%
    assert not change.success and change.observed == 12
    loose = tiny_config(max_row_count_change=0.8)
    assert by_name(run_tiny_suite("funding_flows", cfg=loose, previous=40))["row_count_change"].success


def test_row_counts_of_another_layout_are_not_compared(tiny, tmp_path):
    """A previous version with other columns (another grain) is no yardstick for the row count: the check
    says so and passes; with the same columns, the same change fails."""
    previous = tmp_path / "funding_flows.parquet"
    con = duckdb.connect(str(tiny / "warehouse.duckdb"))
    con.execute(f"copy (select *, 1 as extra from marts.funding_flows) to '{previous}' (format parquet)")
    con.close()
    change = by_name(run_tiny_suite("funding_flows", previous=40, previous_parquet=previous))["row_count_change"]
    assert change.success and "new layout" in change.observed
    same = tmp_path / "same.parquet"
    con = duckdb.connect(str(tiny / "warehouse.duckdb"))
    con.execute(f"copy marts.funding_flows to '{same}' (format parquet)")
    con.close()
    assert not by_name(run_tiny_suite("funding_flows", previous=40, previous_parquet=same))["row_count_change"].success


def test_a_column_emptier_than_in_the_previous_version_is_a_warning(tiny, tmp_path):
    previous = tmp_path / "funding_flows.parquet"
    con = duckdb.connect(str(tiny / "warehouse.duckdb"))
    con.execute(f"copy marts.funding_flows to '{previous}' (format parquet)")  # 12 rows, donor always set
    con.execute("update marts.funding_flows set donor = null where flow_id <= 6")  # now empty in 50%
    con.execute("update marts.funding_flows set plan_code = null where flow_id <= 2")  # 17%: within 20 points
    con.close()
    result = run_tiny_suite("funding_flows", previous=12, previous_parquet=previous)
    assert result.success, result.failure_message()  # a warning does not block
    assert [e.name for e in result.warnings] == ["donor_null_share"]
    donor = by_name(result)["donor_null_share"]
    assert donor.failing_count == 6 and "previous published version: 0%" in donor.description
    assert {r["flow_id"] for r in donor.failing_rows_sample} == {1, 2, 3, 4, 5, 6}
    assert by_name(result)["plan_code_null_share"].success


def test_a_suite_that_cannot_run_blocks(tiny):
    from pipelines.quality.checks import evaluate

    result = evaluate(published_table("coverage"), tiny_config(), run_id="r", version="v")  # no coverage mart
    assert not result.success
    assert result.failed[0].name == "suite_ran" and "coverage" in result.failed[0].error


def test_result_json_round_trip(tiny):
    result = run_tiny_suite("funding_flows", previous=40)
    again = SuiteResult.from_json(json.loads(json.dumps(result.to_json())))
    assert again.to_json() == result.to_json()


# -- real refreshes ---------------------------------------------------------------------------------------
def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refresh(data_dir: Path, *args: str, env: dict | None = None, full: bool = False) -> tuple[int, str]:
    """`clusterwatch refresh` as its own process, with a private data dir. (A process per refresh: the country
    partitions of the raw assets are fixed when the definitions are imported, so configs cannot share one.)"""
    from pipelines.settings import ENV_CONFIG, ENV_LIVE, ENV_SNAPSHOT

    run_env = {**os.environ, "CLUSTERWATCH_DATA_DIR": str(data_dir), **(env or {})}
    for var in (ENV_CONFIG, ENV_SNAPSHOT, ENV_LIVE, "CLUSTERWATCH_PUBLISH_CRASH_AT"):
        if var not in (env or {}):
            run_env.pop(var, None)
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "refresh", *args], cwd=REPO, env=run_env,
                          capture_output=True, text=True, timeout=1500)
    if full:  # everything the terminal would show
        return done.returncode, done.stdout + done.stderr
    return done.returncode, done.stdout + ("\n" + done.stderr[-5000:] if done.returncode else "")


def edit_first_fts_row(csv_path: Path, country: str, column: str, change) -> dict:
    """Rewrite `column` of the first FTS global-cluster row of `country` that has a non-zero value with
    change(value); returns the edited row."""
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    header = rows[0]
    cc, col = header.index("countryCode"), header.index(column)
    for row in rows[1:]:
        if row[cc] == country and row[col].strip() not in ("", "0") and not row[0].startswith("#"):
            row[col] = change(row[col])
            edited = dict(zip(header, row))
            break
    else:
        raise AssertionError(f"no FTS {column} for {country} in {csv_path}")
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    csv_path.write_text(buf.getvalue(), encoding="utf-8")
    return edited


def negate_first_requirement(csv_path: Path, country: str) -> dict:
    """Make one FTS per-plan cluster requirement negative (the bad source data); returns the edited row."""
    return edit_first_fts_row(csv_path, country, "requirements", lambda v: "-" + v.lstrip("-"))


def assert_blocked_run(data_dir: Path, code: int, output: str, before: dict[str, str], baseline: dict) -> None:
    from pipelines.status import status_text

    published = data_dir / "published"
    assert code == 1, output
    assert "funding_by_cluster" in output and NEGATIVE_REQUIREMENT_TEST in output
    assert "failing row:" in output and "requirements_usd=-" in output  # the message shows dbt's failing rows
    # the dbt test keeps its failing rows readable in the warehouse: the negative requirement
    from pipelines.quality.dbt_failures import failing_rows

    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        n, failing = failing_rows(con, NEGATIVE_REQUIREMENT_TEST)
    finally:
        con.close()
    assert n == 1 and failing[0]["requirements_usd"] < 0 and failing[0]["country_code"] in ("SOM", "XAR")
    # the blocked table's published files are untouched
    for name, digest in before.items():
        assert sha(published / name) == digest, f"{name} changed although funding_by_cluster was blocked"
    manifest = json.loads((published / "manifest.json").read_text())
    fbc = manifest["tables"]["funding_by_cluster"]
    assert fbc["status"] == "blocked" and fbc["version"] == baseline["tables"]["funding_by_cluster"]["version"]
    assert NEGATIVE_REQUIREMENT_TEST in fbc["reason"]
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
        check = inst.get_latest_asset_check_evaluation_record(dg.AssetCheckKey(mart, NEGATIVE_REQUIREMENT_TEST))
        assert fbc_event.run_id == baseline["tables"]["funding_by_cluster"]["run_id"]
        assert cov_event.run_id == manifest["tables"]["coverage"]["run_id"] != fbc_event.run_id
        assert check.run_id == cov_event.run_id
        assert check.evaluation.passed is False
        text = status_text()
    # the quality report says what failed, for people
    report = json.loads((published / "quality" / "quality_report.json").read_text())
    assert report["failed_tables"] == ["funding_by_cluster"]
    html = (published / "quality" / "quality_report.html").read_text()
    assert NEGATIVE_REQUIREMENT_TEST in html and "FAILED" in html
    assert "funding_by_cluster" in text and NEGATIVE_REQUIREMENT_TEST in text and "blocked" in text


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
    assert fbc["row_count"] > 100 and "quality_suite" in fbc["checks"]["blocking_checks"]
    assert {s["dataset_id"] for s in fbc["sources"]} == {"global-requirements-and-funding-data"}
    for e in baseline["tables"].values():
        assert e["status"] == "published"
        assert e["sources"] and all(s["resource_modified"] and s["source_sha256"] for s in e["sources"])
    before = {n: sha(published / n) for n in ("funding_by_cluster.csv", "funding_by_cluster.parquet")}

    from pipelines.lib.config import load_config

    fts = next(r for r in load_config(REAL_CONFIG).resources("funding") if r.table == "fts_cluster")
    edited = negate_first_requirement(snap / fts.path, "SOM")
    assert edited["requirements"].startswith("-")
    code, out = refresh(data, *args, "--force")  # every mart rebuilt: the others publish a new version
    assert_blocked_run(data, code, out, before, baseline)


# -- dbt reconciliations on the real snapshot ----------------------------------------------------------------
RECONCILIATIONS = ("assert_funding_by_cluster_totals_equal_fts", "assert_funding_flows_has_each_fts_flow_once",
                   "assert_coverage_pin_equals_the_needs_source")


@pytest.mark.real
def test_reconciliations_fail_and_name_the_rows_when_a_mart_disagrees_with_its_source(real_dbt_build, tmp_path):
    """The real marts reconcile (the session's dbt build ran these tests); then, in a copy of its warehouse,
    FTS funding changes in a copy of the real file (re-ingested, the mart not rebuilt), one flow goes missing
    from funding_flows and one coverage PIN drifts: each singular test fails and its stored rows name exactly
    the country-year, the flow and the unit, with both figures."""
    from pipelines.lib.config import load_config
    from pipelines.lib.hdx.snapshot import SnapshotFetcher
    from pipelines.lib.ingest import ingest_resource
    from pipelines.lib.paths import DBT_PROJECT_DIR
    from pipelines.settings import ClusterwatchSettings
    from pipelines.transform.dbt_assets import dbt_vars

    for test in RECONCILIATIONS:
        assert f"PASS {test} " in real_dbt_build["dbt_log"], f"{test} did not pass on the real snapshot"
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(real_dbt_build["warehouse"], warehouse)
    cfg = load_config(REAL_CONFIG)
    fts = next(r for r in cfg.resources("funding") if r.table == "fts_plan")  # funding_by_cluster adds up to it
    snap = tmp_path / "snapshot"
    for rel in (fts.path, fts.metadata):
        if rel:
            (snap / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(real_dbt_build["snapshot"] / rel, snap / rel)
    edited = edit_first_fts_row(snap / fts.path, "SOM", "funding", lambda v: repr(float(v) + 1_000_000.0))

    con = duckdb.connect(str(warehouse))
    try:
        assert not ingest_resource(con, SnapshotFetcher(snap), fts, "funding").skipped
        flow_id = con.execute("select min(flow_id) from marts.funding_flows").fetchone()[0]
        con.execute("delete from marts.funding_flows where flow_id = ?", [flow_id])
        unit = con.execute("select country_code, admin1_code, admin2_code, sector_code, people_in_need from marts.coverage "
                           "where people_in_need > 0 order by all limit 1").fetchone()
        con.execute("update marts.coverage set people_in_need = people_in_need + 1000 where country_code = ? and "
                    "admin1_code = ? and admin2_code is not distinct from ? and sector_code = ?", list(unit[:4]))
    finally:
        con.close()

    env = {**os.environ, "CLUSTERWATCH_WAREHOUSE": str(warehouse), "DBT_TARGET_PATH": str(tmp_path / "target"),
           "DBT_LOG_PATH": str(tmp_path / "logs"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "test", "--select", *RECONCILIATIONS,
         "--vars", json.dumps(dbt_vars(ClusterwatchSettings(config_path=str(REAL_CONFIG)))),
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
        env=env, capture_output=True, text=True, timeout=1200,
    )
    assert done.returncode == 1, done.stdout[-3000:]
    for test in RECONCILIATIONS:
        assert f"FAIL 1 {test} " in done.stdout, done.stdout[-3000:]

    from pipelines.quality.dbt_failures import failing_rows

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        def failing(test: str) -> list[dict]:
            n, rows = failing_rows(con, test)
            assert n == len(rows)
            return rows

        (funding,) = failing("assert_funding_by_cluster_totals_equal_fts")
        assert (funding["country_code"], funding["year"]) == ("SOM", int(edited["year"]))
        assert funding["fts_funding_usd"] - funding["mart_funding_usd"] == pytest.approx(1_000_000.0)
        assert funding["fts_requirements_usd"] == pytest.approx(funding["mart_requirements_usd"])
        (flow,) = failing("assert_funding_flows_has_each_fts_flow_once")
        assert flow == {"flow_id": flow_id, "in_fts": True, "rows_in_mart": 0}
        assert failing_rows(con, "grain_funding_flows_flow_id") == (0, [])  # a passing test stores no row
        (pin,) = failing("assert_coverage_pin_equals_the_needs_source")
        assert tuple(pin[k] for k in ("country_code", "admin1_code", "admin2_code", "sector_code")) == unit[:4]
        assert (pin["coverage_people_in_need"], pin["source_people_in_need"]) == (unit[4] + 1000, unit[4])
    finally:
        con.close()
