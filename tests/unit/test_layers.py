"""The house stands one room above another: no import circles, no upward imports.

An ``ast`` walk over ``appliance/``, ``hw/`` and ``provisioning/`` draws the import graph
of our modules (every import that runs: top-level, inside functions, re-exports; imports
under ``if TYPE_CHECKING:`` are annotations only and do not count). Two rules hold:

- no circle between modules;
- each room imports only rooms of its own layer or below (:data:`LAYERS`): ``hw`` imports
  nothing of ours, engines never import the pipeline, nothing imports ``appliance.cli``,
  ``appliance`` never imports ``provisioning``.

A new room is placed in :data:`LAYERS` (the README's layout section says the same).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("appliance", "hw", "provisioning")

LAYERS: tuple[tuple[str, ...], ...] = (
    ("hw",),
    ("appliance", "appliance.errors", "appliance.frames", "appliance.settings",
     "appliance.system"),
    ("appliance.runtime", "appliance.sitepack"),
    ("appliance.engines",),
    ("appliance.language", "appliance.pipeline", "appliance.behavior", "appliance.devices",
     "appliance.telemetry"),
    ("appliance.app",),
    ("appliance.avatar", "appliance.service", "appliance.fleet", "appliance.sign"),
    ("appliance.bench",),
    ("appliance.cli",),
    ("provisioning",),
)
"""Rooms from the bottom up; a room may import its own layer and those below."""

Graph = Mapping[str, Iterable[str]]


def module_files() -> dict[str, Path]:
    """Every module of our packages: dotted name -> file (a package is its ``__init__``)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, package: str) -> Iterable[str]:
    """Dotted names a module imports (``from a import b`` yields ``a.b``), skipping
    ``if TYPE_CHECKING:`` blocks."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking(node):
            yield from (name for child in node.orelse for name in _imports(child, package))
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            yield from (f"{base}.{alias.name}" for alias in node.names)
        yield from _imports(node, package)


def import_graph(files: Mapping[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules of ours it imports."""
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for imported in _imports(ast.parse(path.read_text(), str(path)), package):
            # ``from a import b``: the module a.b where b is one, else a itself
            while imported and imported not in files:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def room_layer(module: str, layers: tuple[tuple[str, ...], ...] = LAYERS) -> int | None:
    """The layer of the room ``module`` lives in (its longest matching room name)."""
    best: tuple[int, int] | None = None
    for level, rooms in enumerate(layers):
        for room in rooms:
            inside = module == room or module.startswith(room + ".")
            if inside and (best is None or len(room) > best[1]):
                best = (level, len(room))
    return None if best is None else best[0]


def upward_imports(graph: Graph,
                   layers: tuple[tuple[str, ...], ...] = LAYERS) -> list[str]:
    """``a -> b`` for every import of a higher layer's module, and every module no
    layer holds."""
    problems = []
    for module, targets in sorted(graph.items()):
        level = room_layer(module, layers)
        if level is None:
            problems.append(f"{module}: in no room of LAYERS")
            continue
        for target in sorted(targets):
            target_level = room_layer(target, layers)
            if target_level is not None and target_level > level:
                problems.append(f"{module} -> {target}")
    return problems


def test_the_checks_catch_a_circle_and_an_upward_import() -> None:
    layers = (("low",), ("high",))
    circle = {"low.a": {"low.b"}, "low.b": {"low.c"}, "low.c": {"low.a"}, "high.x": {"low.a"}}
    assert cycles(circle) == [["low.a", "low.b", "low.c"]]
    assert cycles({"low.a": {"low.b"}, "low.b": set()}) == []
    upward = {"low.a": {"high.x"}, "high.x": {"low.a"}, "stray": set()}
    assert upward_imports(upward, layers) == ["low.a -> high.x", "stray: in no room of LAYERS"]


def test_the_walk_sees_function_local_imports_and_skips_type_checking_ones() -> None:
    source = ("from typing import TYPE_CHECKING\n"
              "if TYPE_CHECKING:\n    from hw import camera\n"
              "def f():\n    from appliance.cli import main\n"
              "from . import frames\n")
    names = set(_imports(ast.parse(source), "appliance"))
    assert "appliance.cli.main" in names and "appliance.frames" in names
    assert "hw.camera" not in names


def test_no_import_circles() -> None:
    assert cycles(import_graph(module_files())) == []


def test_no_upward_imports() -> None:
    problems = upward_imports(import_graph(module_files()))
    assert sorted(problems) == []


def test_nothing_imports_the_cli_room() -> None:
    graph = import_graph(module_files())
    users = sorted(m for m, targets in graph.items() if not m.startswith("appliance.cli")
                   for t in targets if t.startswith("appliance.cli"))
    assert users == []
