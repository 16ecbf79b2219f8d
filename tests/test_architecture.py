"""The package's shape (ARCHITECTURE.md): small modules, and imports that only point down."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gan_utils"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_LINES = 300


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """gan_utils modules that `path` imports at run time, at any depth (not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    type_only = {
        id(node)
        for stmt in ast.walk(tree)
        if isinstance(stmt, ast.If) and "TYPE_CHECKING" in ast.unparse(stmt.test)
        for node in ast.walk(stmt)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("gan_utils")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gan_utils"):
            found.add(node.module)
            # `from gan_utils import models` imports the module gan_utils.models
            found |= {f"{node.module}.{a.name}" for a in node.names}
    known = {module_name(p) for p in MODULES}
    return {name for name in found if name in known} - {module_name(path)}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_over_300_lines(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.name} has {lines} lines: split it by idea (ARCHITECTURE.md)"


def test_the_cycle_finder_can_fail():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_in_the_package():
    # A package's __init__ that re-exports its submodules is left out: importing it is importing them.
    graph = {module_name(p): imports(p) for p in MODULES if p.name != "__init__.py"}
    graph = {m: {n for n in deps if n in graph} for m, deps in graph.items()}
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"


def test_the_core_does_not_import_the_tools_around_it():
    """data -> models -> losses -> steps -> the loop read on their own: no CLI, widgets or lab."""
    tools = {
        "gan_utils.cli",
        "gan_utils.runs",
        "gan_utils.widgets",
        "gan_utils.lab",
        "gan_utils.evaluation",
    }
    for name in ("losses", "steps", "gan", "training", "checkpoints", "models", "data"):
        deps = imports(PACKAGE / f"{name}.py")
        assert not {d for d in deps if any(d == t or d.startswith(t + ".") for t in tools)}, name
