"""How the dbt project is cut into Dagster steps (plain functions over dbt's manifest; no Dagster here).

    1. staging and intermediate (the admin lookup among them: dbt Python models)
    2. one step per mart, upstream marts first

A failed step stops only what is downstream of it, so a mart failing its dbt tests blocks its own publication
(and that of marts built on it) while the other marts publish. The steps share one `dbt build` per run
(transform/dbt_shared.py); each step reports, and fails on, its own part of it. A model built on one mart and needed by another
(the quality issues found in coverage) goes with the first mart, in build order, that needs it.

Every test runs once, in the step that builds the last of its parents: each step selects its own nodes (dbt's
default eager indirect selection adds their tests) and excludes the nodes of the later steps (which, eagerly,
drops the tests that also touch them). A test joining a mart to a seed thus runs with the mart, never earlier
against the mart's previous build.
"""
from __future__ import annotations

from dataclasses import dataclass

BUILT = ("model", "seed", "snapshot")
MARTS_FOLDER = "marts"


@dataclass(frozen=True)
class DbtStep:
    name: str  # the Dagster op name
    nodes: frozenset[str]  # unique ids of the models/seeds/snapshots it builds
    mart: str | None = None  # the mart it publishes, if it is a mart's step
    select: str = ""  # dbt selection strings (`fqn:` selectors)
    exclude: str = ""


def _reach(start: set[str], edges: dict[str, list[str]], keep: set[str]) -> set[str]:
    """Every node of `keep` reachable from `start` along `edges` (child_map: descendants, parent_map: ancestors)."""
    seen, todo = set(), list(start)
    while todo:
        for n in edges.get(todo.pop(), []):
            if n in keep and n not in seen:
                seen.add(n)
                todo.append(n)
    return seen


def fqn_selector(manifest: dict, ids) -> str:
    return " ".join(sorted("fqn:" + ".".join(manifest["nodes"][i]["fqn"]) for i in ids))


def plan_steps(manifest: dict, rest_name: str) -> list[DbtStep]:
    """The steps in build order: everything the marts do not own, then one step per mart."""
    nodes = {k: v for k, v in manifest["nodes"].items() if v["resource_type"] in BUILT}
    keep, parents, children = set(nodes), manifest["parent_map"], manifest["child_map"]
    marts = [k for k, v in nodes.items() if v["resource_type"] == "model" and v["fqn"][1:2] == [MARTS_FOLDER]]
    ancestors = {m: _reach({m}, parents, keep) for m in marts}
    marts.sort(key=lambda m: (len(ancestors[m] & set(marts)), nodes[m]["name"]))  # upstream marts first
    owned = {m: {m} for m in marts}
    for node in sorted(_reach(set(marts), children, keep) - set(marts)):
        needing = [m for m in marts if node in ancestors[m]]
        owner = needing[0] if needing else [m for m in marts if m in _reach({node}, parents, keep)][-1]
        owned[owner].add(node)
    rest = keep - set().union(*owned.values())
    steps = [(rest_name, rest, None)]
    steps += [(f"dbt_{nodes[m]['name']}", owned[m], nodes[m]["name"]) for m in marts]
    out = []
    for i, (name, ids, mart) in enumerate(steps):
        later = set().union(*(s[1] for s in steps[i + 1:]))
        out.append(DbtStep(name, frozenset(ids), mart, fqn_selector(manifest, ids), fqn_selector(manifest, later)))
    return out
