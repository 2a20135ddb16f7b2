"""The floors hold: coach/ is the ground floor, ingest/, api/ and eval/ sit on it, cli/ is the roof.

Every import counts, at module level or inside a function (a lazy import climbs the same
stairs), and no module reaches itself again through the modules it imports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("coach", "ingest", "api", "eval", "cli")
# What each floor may import of the project's packages (itself included).
ALLOWED = {
    "coach": {"coach"},
    "ingest": {"coach", "ingest"},
    "api": {"coach", "ingest", "api"},
    "eval": {"coach", "ingest", "eval"},
    "cli": set(PACKAGES),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "corpora" not in path.parts
    }


def imported(name: str, path: Path, known: set[str]) -> Iterator[tuple[str, int]]:
    """The project modules ``path`` imports (anywhere in it), with their line numbers."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for target in targets:
            while target and target not in known:  # "coach.units.index.UnitIndex" → module
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target, node.lineno


def import_graph() -> dict[str, dict[str, int]]:
    modules = project_modules()
    known = set(modules)
    graph: dict[str, dict[str, int]] = {}
    for name, path in modules.items():
        edges: dict[str, int] = {}
        for target, line in imported(name, path, known):
            if not name.startswith(target + "."):  # a package's own __init__ on the way in
                edges.setdefault(target, line)
        graph[name] = edges
    return graph


def circles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def wrong_way(graph: dict[str, dict[str, int]]) -> list[str]:
    problems = []
    for name, edges in sorted(graph.items()):
        floor = name.split(".")[0]
        for target, line in sorted(edges.items()):
            if target.split(".")[0] not in ALLOWED[floor]:
                allowed = ", ".join(sorted(ALLOWED[floor]))
                problems.append(
                    f"{name} (line {line}) imports {target}; {floor}/ may import only {allowed}"
                )
    return problems


def a_loop(graph: dict[str, dict[str, int]], component: list[str]) -> str:
    """One shortest way round a circle, ``a:12 -> b:3 -> a``: where each module imports the next."""
    inside = set(component)
    start = component[0]
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:  # breadth first, back to ``start``
        following = []
        for node in frontier:
            for target in sorted(graph[node]):
                if target not in inside or target in came_from:
                    continue
                came_from[target] = node
                following.append(target)
        if start in came_from:
            break
        frontier = following
    path = [start]
    while len(path) == 1 or path[-1] != start:
        path.append(came_from[path[-1]])
    path.reverse()
    steps = [f"{a}:{graph[a][b]}" for a, b in pairwise(path)]
    return " -> ".join([*steps, start])


def test_no_floor_imports_one_above_it() -> None:
    problems = wrong_way(import_graph())
    assert not problems, "wrong-way imports:\n" + "\n".join(problems)


def test_no_module_imports_itself_through_others() -> None:
    graph = import_graph()
    found = [f"{' <-> '.join(c)}\n    e.g. {a_loop(graph, c)}" for c in circles(graph)]
    assert not found, "import circles (module:line imports the next):\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        (
            {"coach.a": {"api.b": 3}, "api.b": {}},
            ["coach.a (line 3) imports api.b; coach/ may import only coach"],
        ),
        (
            {"eval.a": {"cli.main": 1}, "cli.main": {"eval.a": 2}},
            ["eval.a (line 1) imports cli.main; eval/ may import only coach, eval, ingest"],
        ),
        ({"ingest.a": {"coach.b": 1}, "coach.b": {}}, []),
    ],
)
def test_the_walk_sees_a_wrong_way_import(
    graph: dict[str, dict[str, int]], expected: list[str]
) -> None:
    assert wrong_way(graph) == expected


def test_the_walk_sees_a_circle_and_a_lazy_import(tmp_path: Path) -> None:
    graph = {"ingest.a": {"ingest.b": 1}, "ingest.b": {"ingest.a": 9}, "ingest.c": {"ingest.a": 2}}
    assert circles(graph) == [["ingest.a", "ingest.b"]]
    assert a_loop(graph, ["ingest.a", "ingest.b"]) == "ingest.a:1 -> ingest.b:9 -> ingest.a"
    source = tmp_path / "mod.py"
    source.write_text("def f():\n    from api.app import create_app\n", encoding="utf-8")
    assert ("api.app", 2) in set(imported("coach.mod", source, {"api.app", "coach.mod"}))
