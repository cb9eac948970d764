"""`clusterwatch status` reports every failed check of the last run, dbt tests included, with the file that
defines each dbt test and its failing rows as dbt stored them (dbt_test__audit); and never waits for a
warehouse a refresh holds (issue 14).

A real Dagster run on a private instance evaluates a failing check named as a real dbt test of the project;
its failing rows sit where dbt stores them (the relation named in dbt's manifest).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb

REPO = Path(__file__).resolve().parents[1]


def dbt_test(name_part: str) -> dict:
    from pipelines.quality.tables import manifest_path

    nodes = json.loads(manifest_path().read_text(encoding="utf-8"))["nodes"].values()
    return next(n for n in nodes if n["resource_type"] == "test" and n.get("relation_name") and name_part in n["name"])


def run_with_failing_check(test_name: str) -> str:
    from pipelines.cli.main import instance

    @dg.asset(key=dg.AssetKey(["marts", "funding_flows"]))
    def mart():
        return None

    @dg.asset_check(asset=mart, name=test_name)
    def failing():
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR)

    @dg.asset_check(asset=mart, name="unique_funding_flows_flow_id")
    def passing():
        return dg.AssetCheckResult(passed=True)

    inst = instance()
    result = dg.materialize([mart, failing, passing], instance=inst, tags={"clusterwatch/trigger": "cli"},
                            raise_on_error=False)
    inst.dispose()
    return result.run_id


def test_status_names_a_failed_dbt_test_its_file_and_failing_rows(data_dir):
    from pipelines.status import status_data, status_text

    test = dbt_test("column_rules_funding_flows")
    run_id = run_with_failing_check(test["name"])
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"))
    con.execute(f'create schema "{test["schema"]}"')
    con.execute(f'create table "{test["schema"]}"."{test["alias"]}" as select * from (values '
                "('F-1', 'cancelled'), ('F-2', 'void')) v(flow_id, status)")
    con.close()

    data = status_data()
    (failed,) = data["failed_checks"]
    assert failed == {"asset": "marts/funding_flows", "check": test["name"], "severity": "error",
                      "file": test["original_file_path"], "failing_rows": 2,
                      "rows": [{"flow_id": "F-1", "status": "cancelled"}, {"flow_id": "F-2", "status": "void"}]}
    assert data["ok"] is False
    assert any(test["name"] in p and test["original_file_path"] in p and "2 failing row(s)" in p
               for p in data["problems"])
    text = status_text()
    assert f"Failed checks of run {run_id[:8]} (1, dbt tests included):" in text
    defined = f"defined in dbt_project/{test['original_file_path']}"
    assert f"✘ marts/funding_flows: {test['name']} (error) — {defined}" in text
    assert "row 1: flow_id=F-1, status=cancelled" in text and "row 2: flow_id=F-2, status=void" in text
    assert "unique_funding_flows_flow_id" not in text.split("Failed checks of run")[1]  # only failed ones


def test_status_does_not_wait_for_a_warehouse_a_refresh_holds(data_dir):
    from pipelines.status import status_data

    test = dbt_test("column_rules_funding_flows")
    run_with_failing_check(test["name"])
    duckdb.connect(str(data_dir / "warehouse.duckdb")).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time, duckdb\ncon = duckdb.connect(sys.argv[1])\n"
         "print('held', flush=True)\ntime.sleep(60)", str(data_dir / "warehouse.duckdb")],
        cwd=REPO, env=os.environ.copy(), stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        data = status_data()
    finally:
        holder.kill()
        holder.wait()
    (failed,) = data["failed_checks"]
    assert failed["check"] == test["name"] and "rows" not in failed
    assert "a refresh holds the warehouse" in data["failed_checks_note"]
