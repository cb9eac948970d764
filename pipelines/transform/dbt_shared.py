"""One `dbt build` per Dagster run for all the dbt steps; each step replays its part.

Each dbt invocation pays a process start and a manifest load (seconds each), and the steps (the shared
models, then one per mart: transform/dbt_steps.py) used to run one each. Now the first of them to run builds, at once, everything the run selected from all of them: dbt orders the nodes and, when a
test fails, skips only what is downstream of it. Each step then turns the results of its own models and tests
into its Dagster events and fails exactly when it would have failed running dbt alone (run_results.json says
which of its nodes errored or were skipped), so a mart whose test fails still blocks only its own publication.

Steps of a run execute one after another in one process (definitions.py: in_process_executor), so the build
is kept in memory for the run; a step of another run (a retry from the UI) starts its own build.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from pipelines.transform.dbt_steps import DbtStep, fqn_selector

FAILED = {"error", "fail", "skipped", "runtime error"}
# Run tag: "run" adds dbt's unit tests to a run. They test the SQL on inline fixtures, never the data, so as
# dbt advises they run in development and CI (`make unit`, tests/test_dbt_unit.py), not in every refresh.
UNIT_TESTS_TAG = "clusterwatch/dbt_unit_tests"


def unit_test_args(context) -> list[str]:
    return [] if context.run.tags.get(UNIT_TESTS_TAG) == "run" else ["--exclude-resource-type", "unit_test"]


@dataclass
class SharedBuild:
    run_id: str
    events: list  # dagster-dbt's DbtCliEventMessage, in dbt's order
    status: dict[str, str]  # unique id -> run_results status (success, error, skipped, pass, fail, warn)
    target: Path
    error: Exception | None
    nodes: set[str] = field(default_factory=set)  # what it selected
    tables: dict[str, dict] | None = None  # unique id -> row count and column schema, read once dbt has exited

    def table_metadata(self, read) -> dict[str, dict]:
        """`read(built unique ids)` the first time a step asks; the same answer for the run's other steps."""
        if self.tables is None:
            self.tables = read(sorted(uid for uid, s in self.status.items() if s == "success" and uid in self.nodes))
        return self.tables


_BUILD: list[SharedBuild] = []  # at most one: the current run's


def run_selection(context, steps: list[DbtStep], key_of) -> list[str]:
    """The unique ids, among the shared steps' nodes, that the run selected (every one when it selected all)."""
    selected = context.run.asset_selection
    return sorted(uid for s in steps for uid in s.nodes if selected is None or key_of(uid) in selected)


def shared_build(context, dbt, args: list[str], steps: list[DbtStep], key_of, manifest: dict, manifest_path: Path,
                 target: Path, translator) -> SharedBuild:
    """The run's shared `dbt build`, run by the first step that needs it."""
    run_id = context.run.run_id
    if _BUILD and _BUILD[0].run_id == run_id:
        return _BUILD[0]
    _BUILD.clear()
    nodes = run_selection(context, steps, key_of)
    results = target / "run_results.json"
    results.unlink(missing_ok=True)  # an earlier build's: a dbt that stops before writing its own must not look run
    invocation = dbt.cli([*args, "--select", fqn_selector(manifest, nodes)], manifest=manifest_path,
                         dagster_dbt_translator=translator, raise_on_error=False, target_path=target)
    events = list(invocation.stream_raw_events())
    error = invocation.get_error()
    status = ({r["unique_id"]: r["status"] for r in json.loads(results.read_text(encoding="utf-8"))["results"]}
              if results.exists() else {})
    _BUILD.append(SharedBuild(run_id, events, status, target, error, set(nodes)))
    return _BUILD[0]


def step_events(context, build: SharedBuild, step: DbtStep, manifest: dict, translator, project) -> list:
    """This step's Dagster events from the shared build: Outputs of its selected models, results of its checks.
    Only its own dbt results are converted (the others would each log an observation in this step)."""
    from dagster_dbt.asset_utils import get_asset_check_key_for_test

    outputs = set(context.op_execution_context.selected_output_names)
    checks = set(context.selected_asset_check_keys)

    def mine(raw) -> bool:
        uid = raw.raw_event["data"].get("node_info", {}).get("unique_id")
        if not uid or not raw.is_result_event:
            return False
        if uid.startswith("test."):
            return get_asset_check_key_for_test(manifest, translator, uid, project) in checks
        return uid in step.nodes

    out = []
    for raw in filter(mine, build.events):
        for e in raw.to_default_asset_events(manifest=manifest, dagster_dbt_translator=translator, context=context,
                                             target_path=build.target, project=project):
            if isinstance(e, dg.Output) and e.output_name in outputs:
                out.append(e)
            elif isinstance(e, dg.AssetCheckResult) and dg.AssetCheckKey(e.asset_key, e.check_name) in checks:
                out.append(e)
    return out


def step_broken_nodes(context, build: SharedBuild, step: DbtStep, manifest: dict, key_of) -> list[str]:
    """The step's selected models (and their unit tests) that errored or that dbt skipped, as `name (status)`."""
    selected = {k for k in context.selected_asset_keys}
    mine = {uid for uid in step.nodes if key_of(uid) in selected}
    units = {uid for uid, u in manifest.get("unit_tests", {}).items()
             if set(u.get("depends_on", {}).get("nodes", [])) & mine}
    broken = []
    for uid in sorted(mine | units):
        status = build.status.get(uid)
        if status is None and build.error is not None and uid in mine:
            status = "not run"  # dbt stopped before it (a parse or connection error)
        if status in FAILED or status == "not run":
            name = (manifest["nodes"].get(uid) or manifest.get("unit_tests", {}).get(uid) or {}).get("name", uid)
            broken.append(f"{name} ({status})")
    return broken
