"""The dbt project cut into Dagster steps (pipelines/transform/dbt_steps.py): each mart in its own step, every
model built once, every dbt test (data and unit) run exactly once, in the step that builds the last of its parents.
A shared build that stopped early reports its models as not run."""
from __future__ import annotations

import json

from pipelines.transform.dbt_steps import plan_steps


def node(name: str, folder: str, kind: str = "model") -> tuple[str, dict]:
    return f"{kind}.p.{name}", {"name": name, "resource_type": kind, "fqn": ["p", folder, name]}


def tiny_manifest() -> dict:
    """stg -> keys; stg -> int -> mart_a -> int_after_a -> mart_b; seed -> mart_b; a test joining mart_a to the seed."""
    nodes = dict([node("stg", "staging"), node("keys", "intermediate"), node("int", "intermediate"),
                  node("mart_a", "marts"), node("int_after_a", "intermediate"), node("mart_b", "marts"),
                  node("seed", "seeds", "seed"), node("rel_a_seed", "marts", "test")])
    edges = [("stg", "keys"), ("stg", "int"), ("int", "mart_a"), ("mart_a", "int_after_a"), ("int_after_a", "mart_b"),
             ("seed", "mart_b"), ("mart_a", "rel_a_seed"), ("seed", "rel_a_seed")]
    uid = {n["name"]: k for k, n in nodes.items()}
    parents = {k: [] for k in nodes}
    children = {k: [] for k in nodes}
    for a, b in edges:
        parents[uid[b]].append(uid[a])
        children[uid[a]].append(uid[b])
    return {"nodes": nodes, "parent_map": parents, "child_map": children}


def test_plan_on_a_small_graph():
    steps = plan_steps(tiny_manifest(), "rest")
    names = {s.name: sorted(n.split(".")[-1] for n in s.nodes) for s in steps}
    assert names == {"rest": ["int", "keys", "seed", "stg"], "dbt_mart_a": ["mart_a"],
                     "dbt_mart_b": ["int_after_a", "mart_b"]}
    assert [s.mart for s in steps] == [None, "mart_a", "mart_b"]
    by = {s.name: s for s in steps}
    # each step excludes what later steps build, so a test touching a later node waits for it
    assert by["rest"].exclude == "fqn:p.intermediate.int_after_a fqn:p.marts.mart_a fqn:p.marts.mart_b"
    assert by["dbt_mart_b"].exclude == ""


def test_every_dbt_test_runs_once_and_each_mart_alone():
    from dagster_dbt.utils import select_unique_ids

    from pipelines.transform.dbt_assets import dbt_steps
    from pipelines.transform.project import dbt_project

    project = dbt_project()
    manifest = json.loads(project.manifest_path.read_text(encoding="utf-8"))
    runs: dict[str, list[str]] = {}
    for step in dbt_steps():
        for uid in select_unique_ids(select=step.select, exclude=step.exclude, selector="", project=project,
                                     manifest_json=manifest):
            runs.setdefault(uid, []).append(step.name)
    built = [k for k, v in manifest["nodes"].items() if v["resource_type"] in ("model", "seed", "snapshot")]
    tests = [k for k in manifest["nodes"] if k.startswith("test.")] + list(manifest.get("unit_tests", {}))
    assert len(tests) > 100
    assert {k: runs.get(k) for k in built + tests if len(runs.get(k, [])) != 1} == {}
    marts = {s.mart: s for s in dbt_steps() if s.mart}
    assert {"coverage", "gaps", "funding_by_cluster", "funding_flows", "cluster_activations", "quality_issues"} <= set(marts)
    for name, step in marts.items():  # no step builds two marts
        assert [n for n in step.nodes if manifest["nodes"][n]["fqn"][1] == "marts"] == [f"model.clusterwatch.{name}"]


def test_a_build_that_stops_before_running_never_reads_as_run(tmp_path):
    """The shared build's statuses come from dbt's run_results.json. One left by an earlier build must not
    vouch for a build that stopped before writing its own (a crash, a broken profile): its models are 'not run'."""
    from types import SimpleNamespace

    from pipelines.transform.dbt_shared import _BUILD, shared_build, step_broken_nodes

    manifest = tiny_manifest()
    steps = plan_steps(manifest, "rest")
    mart_a = next(s for s in steps if s.mart == "mart_a")
    (tmp_path / "run_results.json").write_text(json.dumps(
        {"results": [{"unique_id": uid, "status": "success"} for uid in manifest["nodes"]]}), encoding="utf-8")

    class StoppedDbt:
        def cli(self, args, **kwargs):
            return SimpleNamespace(stream_raw_events=lambda: iter(()),
                                   get_error=lambda: RuntimeError("dbt stopped before the first node"))

    context = SimpleNamespace(run=SimpleNamespace(run_id="r1", asset_selection=None),
                              selected_asset_keys=set(mart_a.nodes))
    _BUILD.clear()
    try:
        build = shared_build(context, StoppedDbt(), ["build"], steps, lambda uid: uid, manifest,
                             tmp_path / "manifest.json", tmp_path, translator=None)
        assert build.status == {} and not (tmp_path / "run_results.json").exists()
        assert step_broken_nodes(context, build, mart_a, manifest, lambda uid: uid) == ["mart_a (not run)"]
    finally:
        _BUILD.clear()


def test_dbt_imports_this_checkouts_pipelines_and_the_env_is_stable(monkeypatch):
    """The p-code lookup is a dbt Python model that imports `pipelines`: dbt's process must find this checkout,
    whatever else is installed. Putting the env in os.environ (as the steps do) must not change it again: it
    is part of the key of dbt's parse folder, and a new key would parse the whole project again."""
    import os

    from pipelines.lib.paths import REPO_ROOT
    from pipelines.transform.project import dbt_env

    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    first = dbt_env()
    assert first["PYTHONPATH"].split(os.pathsep) == [str(REPO_ROOT), "/elsewhere"]
    monkeypatch.setenv("PYTHONPATH", first["PYTHONPATH"])
    assert dbt_env() == first
