"""dbt unit tests alone: each mart's SQL against its small inline fixtures, in about a minute.

No data is read: the sources are created empty (the raw contract, and the other sources as their YAML declares
them), `dbt build --empty` makes every upstream relation with no rows so that dbt can read their column types,
and the unit tests (`unit_tests:` in the models' YAML) run on their fixtures. The same unit tests also run in
the full `dbt build` of the real snapshot.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.lib.paths import DBT_PROJECT_DIR
from tests.dbt_env import dbt_env


@pytest.fixture(scope="module")
def unit_run(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("dbt_unit")
    env = dbt_env(work)
    dbt = [str(Path(sys.executable).parent / "dbt")]
    where = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*dbt, *args, *where], cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True,
                              timeout=1200)

    parsed = run("parse")
    assert parsed.returncode == 0, parsed.stdout[-3000:]
    manifest = json.loads((work / "dbt_target" / "manifest.json").read_text(encoding="utf-8"))
    _create_empty_sources(work / "warehouse.duckdb", manifest)
    built = run("build", "--empty", "--select", "+test_type:unit", "--exclude", "test_type:data")
    results = json.loads((work / "dbt_target" / "run_results.json").read_text(encoding="utf-8"))
    return {"proc": built, "manifest": manifest, "results": {r["unique_id"]: r for r in results["results"]}}


def _create_empty_sources(warehouse: Path, manifest: dict) -> None:
    """The raw tables as the ingest creates them; any other source empty with the columns its YAML declares."""
    from pipelines.lib.warehouse import connect, ensure_raw_schema

    with connect(warehouse) as con:
        ensure_raw_schema(con)
        for src in manifest["sources"].values():
            schema, table = src["schema"], src["identifier"]
            exists = con.execute(
                "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                [schema, table],
            ).fetchone()[0]
            if exists:
                continue
            assert src["columns"], f"source {schema}.{table}: declare its columns in the sources YAML"
            cols = ", ".join(f'"{name}" {c.get("data_type") or "varchar"}' for name, c in src["columns"].items())
            con.execute(f'create schema if not exists "{schema}"')
            con.execute(f'create table "{schema}"."{table}" ({cols})')


def test_every_unit_test_passes(unit_run):
    proc, manifest, results = unit_run["proc"], unit_run["manifest"], unit_run["results"]
    unit_tests = sorted(manifest["unit_tests"])
    assert unit_tests, "no dbt unit tests found"
    failed = {uid: results[uid]["status"] for uid in unit_tests if results.get(uid, {}).get("status") != "pass"}
    assert proc.returncode == 0 and not failed, f"{failed}\n{proc.stdout[-5000:]}"


def test_every_mart_has_a_unit_test(unit_run):
    manifest = unit_run["manifest"]
    marts = {n["name"] for n in manifest["nodes"].values()
             if n["resource_type"] == "model" and n["original_file_path"].startswith("models/marts/")}
    tested = {u["model"] for u in manifest["unit_tests"].values()}
    assert marts and sorted(marts - tested) == []
