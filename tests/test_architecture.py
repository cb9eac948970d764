"""The shape of pipelines/: no import cycle between its modules, and no module over 400 lines.

Imports are read with ast from every file, including those inside functions (a lazy import still ties two
modules together), so a cycle such as publish <-> quality/report is seen without importing anything.
"""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "pipelines"
MAX_LINES = 400


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package (a package is its __init__.py)."""
    out = {}
    for path in sorted((REPO / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imported_modules(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules that `name` imports, anywhere in its file."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import: resolve against this module's package
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from pkg import mod` imports the module pkg.mod; `from mod import name` imports mod
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import a.b.c` of a name inside a.b -> module a.b
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imported_modules(name, path, known) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_sees_cycles_and_their_absence():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_the_import_graph_follows_lazy_and_package_imports():
    graph = import_graph()
    assert "pipelines.publish.manifest" in graph["pipelines.quality.report"]
    assert "pipelines.quality.report" in graph["pipelines.publish.assets"]
    assert "pipelines.sources" in graph["pipelines.definitions"]  # `from pipelines.sources import RAW_ASSETS`


def test_pipelines_has_no_import_cycle():
    assert cycles(import_graph()) == []


def test_quality_imports_no_dagster_asset_of_publish():
    graph = import_graph()
    quality = {m: deps for m, deps in graph.items() if m.startswith(f"{PACKAGE}.quality")}
    assert quality
    assert not {m: sorted(d & {f"{PACKAGE}.publish.assets", f"{PACKAGE}.definitions"}) for m, d in quality.items()
                if d & {f"{PACKAGE}.publish.assets", f"{PACKAGE}.definitions"}}


def test_no_module_of_pipelines_is_over_400_lines():
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules().items()}
    assert len(sizes) > 30
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_publish_gates_on_nothing_but_dagster():
    """Publish reads no Dagster event internals and no stored check result: Dagster's blocking checks gate it."""
    for path in sorted((REPO / PACKAGE / "publish").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for word in ("dagster_event", "event_specific_data", "latest_result", "fingerprint"):
            assert word not in text, f"{path.name} mentions {word}"
