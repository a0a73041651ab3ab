"""The package follows the flow: every import goes to the same or a lower layer, and there
is no import circle (function-level imports count too)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "planner"
#: module prefix -> layer, lowest first (see ARCHITECTURE.md)
LAYERS = [
    (("planner.actuals.cohorts",), 4),    # reads like the fit: a cohort history for it
    (("planner.actuals.chart",), 6),
    (("planner.errors", "planner.io", "planner.format", "planner.arrays", "planner.series",
      "planner.lazy", "planner.slides", "planner.forked"), 0),
    # reading the books: CSV -> checked tables, MRR, movements, the opening book, tracking
    # (they depend only on the modules above; the loader reads from_actuals through them)
    (("planner.actuals.parsing", "planner.actuals.ledger", "planner.actuals.ledger_rows",
      "planner.actuals.readers", "planner.actuals.mrr", "planner.actuals.movements",
      "planner.actuals.opening", "planner.actuals.scenario_opening", "planner.actuals.synthetic",
      "planner.actuals.track"), 0.5),
    (("planner.scenario",), 1),
    (("planner.engine",), 2),
    (("planner.simulation", "planner.results"), 3),
    (("planner.analysis", "planner.fit"), 4),
    (("planner.sweep",), 5),
    (("planner.charts",), 6),
    (("planner.report", "planner.actuals"), 7),
    (("planner.run",), 8),
    (("planner.watch",), 8.5),  # runs again on every save: run, report
    (("planner.cli",), 9),
]


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int | None:
    for prefixes, layer in LAYERS:
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return layer
    return None


def _imports(path: Path) -> set[str]:
    """Planner modules imported anywhere in the file (top level or inside functions)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("planner"):
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("planner"))
    return out


MODULES = {_module(p): p for p in PACKAGE.rglob("*.py")}


def _edges() -> dict[str, set[str]]:
    edges = {}
    for name, path in MODULES.items():
        targets = set()
        for imported in _imports(path):
            while imported not in MODULES and "." in imported:
                imported = imported.rsplit(".", 1)[0]
            if imported in MODULES and imported != name:
                targets.add(imported)
        edges[name] = targets
    return edges


def test_every_module_has_a_layer():
    assert [m for m in MODULES if m != "planner" and m != "planner.__main__" and _layer(m) is None] == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) is not None))
def test_imports_go_down_the_layers(module):
    up = [t for t in _edges()[module] if t != "planner" and _layer(t) is not None and _layer(t) > _layer(module)]
    assert up == [], f"{module} imports from a later stage: {up}"


def test_no_import_circles():
    edges = _edges()
    seen: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        seen[node] = 1
        stack.append(node)
        for nxt in edges[node]:
            if seen.get(nxt) == 1:
                raise AssertionError("import circle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            if nxt not in seen:
                visit(nxt)
        stack.pop()
        seen[node] = 2

    for module in edges:
        if module not in seen:
            visit(module)
