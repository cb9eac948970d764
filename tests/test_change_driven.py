"""A refresh rebuilds only what depends on raw data whose Dagster data version changed.

One sample data directory, four refreshes in order: the first builds everything; an immediate second one
materialises no dbt model and publishes nothing; a change in one country's 3W file rebuilds that country's
presence and the marts built on it; `--force` rebuilds everything again. Behaviour only, never durations.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import dagster as dg
import pytest
import yaml
from dagster._core.events import DagsterEventType

from pipelines.lib.paths import DEFAULT_CONFIG
from pipelines.settings import ENV_CONFIG

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from pipelines.sample.generate import generate

    tmp = tmp_path_factory.mktemp("change_driven")
    snap = tmp / "snapshot"
    generate(snap)
    data = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    data["snapshot"] = str(snap)
    cfg = tmp / "sample-copy.yaml"
    cfg.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    presence = {r["country"]: snap / r["path"] for r in data["sources"]["presence"]}
    # The instance `clusterwatch refresh` uses (under the data dir), so a refresh in a fresh interpreter
    # sees the runs of this test's refreshes.
    from pipelines.cli.main import instance

    old = os.environ.get("CLUSTERWATCH_DATA_DIR")
    os.environ["CLUSTERWATCH_DATA_DIR"] = str(tmp / "data")
    try:
        inst = instance()
    finally:
        os.environ.pop("CLUSTERWATCH_DATA_DIR") if old is None else os.environ.update(CLUSTERWATCH_DATA_DIR=old)
    return {"dir": tmp / "data", "cfg": cfg, "presence": presence, "instance": inst}


_PROBE = """
import json, sys
from pipelines.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as e:
    code = e.code
heavy = sorted({m.split('.')[0] for m in sys.modules} & {'dbt', 'dagster_dbt', 'great_expectations'})
print('PROBE ' + json.dumps({'code': code, 'heavy': heavy}))
"""


def _cli_refresh_in_fresh_interpreter(world) -> dict:
    from pipelines.lib.paths import REPO_ROOT

    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "CLUSTERWATCH_DATA_DIR": str(world["dir"])}
    out = subprocess.run([sys.executable, "-c", _PROBE, "refresh", "--config", str(world["cfg"])], env=env,
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    lines = [line for line in out.stdout.splitlines() if line.startswith("PROBE ")]
    assert lines, out.stdout[-2000:] + out.stderr[-2000:]
    return {**json.loads(lines[-1].removeprefix("PROBE ")), "stdout": out.stdout}


def _refresh(world, monkeypatch, *, force: bool = False, partial: bool = False) -> dict:
    """Run a refresh; what it materialised ({asset key: [partitions]}), its lines, and the manifest after it.
    partial: a country's sources are expected to fail (RefreshPartial), the rest to go on."""
    from pipelines.refresh import RefreshPartial, run_refresh

    monkeypatch.setenv("CLUSTERWATCH_DATA_DIR", str(world["dir"]))
    monkeypatch.setenv(ENV_CONFIG, str(world["cfg"]))
    instance = world["instance"]
    before = {r.run_id for r in instance.get_runs()}
    lines: list[str] = []
    if partial:
        with pytest.raises(RefreshPartial):
            run_refresh(instance, say=lines.append, force=force)
    else:
        run_refresh(instance, say=lines.append, force=force)
    done: dict[str, list] = {}
    for run in instance.get_runs():
        if run.run_id in before:
            continue
        for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
            m = entry.dagster_event.event_specific_data.materialization
            done.setdefault(m.asset_key.to_user_string(), []).append(m.partition)
    manifest_file = world["dir"] / "published" / "manifest.json"
    return {"done": done, "lines": lines, "manifest": manifest_file.read_bytes(),
            "mtime": manifest_file.stat().st_mtime_ns}


def _non_raw(done: dict) -> set[str]:
    return {k for k in done if not k.startswith("raw/")}


def test_refreshes_rebuild_only_what_changed(world, monkeypatch):
    first = _refresh(world, monkeypatch)
    from pipelines.definitions import build_definitions

    graph = build_definitions().resolve_asset_graph()
    everything = {k.to_user_string() for k in graph.materializable_asset_keys if k.path[0] != "raw"}
    assert _non_raw(first["done"]) == everything
    published = [k for k in everything if k.startswith("published/")]
    assert published and json.loads(first["manifest"])["version"]

    # Nothing changed: the refresh hashes the files, nothing runs, nothing is published.
    noop = _refresh(world, monkeypatch)
    assert noop["done"] == {}  # not even a source run: every file hashes to the data version Dagster holds
    assert noop["manifest"] == first["manifest"] and noop["mtime"] == first["mtime"]
    assert any("nothing changed" in line for line in noop["lines"])

    # The same from the command line in a fresh interpreter: dbt and Great Expectations are never imported.
    probe = _cli_refresh_in_fresh_interpreter(world)
    assert probe["code"] == 0 and "nothing changed" in probe["stdout"], probe["stdout"][-2000:]
    assert probe["heavy"] == []
    manifest_file = world["dir"] / "published" / "manifest.json"
    assert manifest_file.read_bytes() == first["manifest"] and manifest_file.stat().st_mtime_ns == first["mtime"]

    # One country's 3W file changes (a blank line at the end: new bytes, same rows).
    country = sorted(world["presence"])[-1]
    path = world["presence"][country]
    assert path.suffix == ".csv"
    with open(path, "ab") as f:
        f.write(b"\r\n")
    one = _refresh(world, monkeypatch)
    rebuilt = _non_raw(one["done"])
    presence_models = {k for k in everything if "presence" in k.split("/")[-1]}
    assert presence_models and presence_models <= rebuilt
    # What depends on raw presence (with the rest of any multi-asset step it touches), none of the rest.
    on_presence = {k.to_user_string() for k in dg.AssetSelection.assets(dg.AssetKey(["raw", "presence"]))
                   .downstream().required_multi_asset_neighbors().resolve(graph) if k.path[0] != "raw"}
    assert rebuilt == on_presence | {"published_release"} and rebuilt < everything  # one release of them all
    assert "published/coverage" in rebuilt and "published/funding_flows" not in rebuilt
    assert json.loads(one["manifest"])["version"] != json.loads(first["manifest"])["version"]
    # Only the changed country's sources ran: the others' files gave the data versions Dagster already had.
    assert {p for k, parts in one["done"].items() if k.startswith("raw/") for p in parts} == {country}

    # A country's file turns bad and nothing else changes: its raw rows stay, but the failure is news, so what
    # reports it is rebuilt and published (quality_issues gets source_failed); fixed again, the issue goes.
    good = path.read_bytes()
    path.write_text("<!DOCTYPE html><html><body>Sign in to HDX</body></html>", encoding="utf-8")
    bad = _refresh(world, monkeypatch, partial=True)
    assert country not in bad["done"].get("raw/presence", []) and "published/quality_issues" in bad["done"]
    assert "published/coverage" not in bad["done"]
    assert _source_failed(world) == [country]
    path.write_bytes(good)
    fixed = _refresh(world, monkeypatch)
    assert "published/quality_issues" in fixed["done"] and _source_failed(world) == []

    # --force rebuilds everything, changed or not.
    forced = _refresh(world, monkeypatch, force=True)
    assert _non_raw(forced["done"]) == everything

    # A new day, no file changed (as_of is today when the config sets none): what counts days up to as_of
    # (open activation periods) is rebuilt and published, nothing else.
    from pipelines.transform import dbt_vars

    real = dbt_vars.config_dbt_vars
    monkeypatch.setattr(dbt_vars, "config_dbt_vars", lambda cfg: {**real(cfg), "as_of": "2099-01-01"})
    day = _non_raw(_refresh(world, monkeypatch)["done"])
    assert {"marts/cluster_activations", "published/cluster_activations", "published_release"} <= day
    assert not {"marts/coverage", "published/coverage", "published/quality_issues"} & day
    assert _non_raw(_refresh(world, monkeypatch)["done"]) == set()  # the same day again: nothing


def _source_failed(world) -> list[str]:
    import duckdb

    rows = duckdb.sql(f"select distinct country_code from '{world['dir'] / 'published' / 'quality_issues.parquet'}' "
                      "where issue_code = 'source_failed' order by 1").fetchall()
    return [r[0] for r in rows]


def test_editing_the_config_changes_the_code_version(tmp_path):
    """What builds the marts (code, dbt project, config) is part of what a downstream run was built from."""
    from pipelines.changes import code_version

    cfg = tmp_path / "config.yaml"
    cfg.write_bytes(DEFAULT_CONFIG.read_bytes())
    before = code_version(cfg)
    assert code_version(cfg) == before
    cfg.write_bytes(DEFAULT_CONFIG.read_bytes() + b"\n# edited\n")
    assert code_version(cfg) != before
    # a file the config names, outside the project (its admin-name rules), counts too
    rules = tmp_path / "admin_names.yaml"
    rules.write_text("fuzzy_keep_words: [north]\n", encoding="utf-8")
    with_rules = code_version(cfg, (rules,))
    rules.write_text("fuzzy_keep_words: [north, south]\n", encoding="utf-8")
    assert code_version(cfg, (rules,)) != with_rules
