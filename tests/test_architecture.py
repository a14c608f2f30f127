"""The package's shape: no import cycle between livecart's top-level units, and a pure domain.

The graph is read from the source with `ast` (every `import` and `from ... import` in livecart/**/*.py,
functions' bodies included), each module collapsed to its top-level unit (`livecart.api`,
`livecart.http`, `livecart.services`, ...). Imports under `if TYPE_CHECKING:` are left out: they never
run, they only name a type (livecart/keys.py names `Services` that way).
"""

from __future__ import annotations

import ast
import itertools
import sys
from collections.abc import Iterator
from pathlib import Path

import livecart

PACKAGE = Path(livecart.__file__).parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def unit_of(module: str) -> str:
    """`livecart.media.hub` → `livecart.media`; `livecart.services` stays itself."""
    return ".".join(module.split(".")[:2])


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(path: Path) -> Iterator[str]:
    """Absolute names of the modules `path` imports at run time."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skipped = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _type_checking_only(node)
        for statement in node.body
        for child in ast.walk(statement)
    }
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            yield source
            for alias in node.names:  # `from livecart import keys` imports the module livecart.keys
                yield f"{source}.{alias.name}"


def livecart_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def unit_graph() -> dict[str, dict[str, str]]:
    """unit → {unit it imports: one module-level import that makes the edge, for the failure message}."""
    modules = livecart_modules()
    graph: dict[str, dict[str, str]] = {unit_of(name): {} for name in modules}
    for name, path in modules.items():
        for imported in imported_modules(path):
            if imported not in modules:
                continue
            source, target = unit_of(name), unit_of(imported)
            if source != target and target != "livecart":
                graph[source].setdefault(target, f"{name} imports {imported}")
    return graph


def find_cycle(graph: dict[str, dict[str, str]]) -> list[str] | None:
    """One cycle of units (first unit repeated at the end), or None when the graph is acyclic."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(unit: str) -> list[str] | None:
        state[unit] = 1
        path.append(unit)
        for target in sorted(graph.get(unit, {})):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        path.pop()
        state[unit] = 2
        return None

    for unit in sorted(graph):
        if unit not in state and (cycle := visit(unit)) is not None:
            return cycle
    return None


def test_no_import_cycle_crosses_the_top_level_units_of_livecart() -> None:
    graph = unit_graph()
    assert {"livecart.api", "livecart.http", "livecart.services", "livecart.media"} <= graph.keys()
    cycle = find_cycle(graph)
    if cycle is not None:
        steps = "\n".join(f"  {graph[a][b]}" for a, b in itertools.pairwise(cycle))
        raise AssertionError(f"import cycle: {' → '.join(cycle)}\n{steps}")


def test_the_cycle_finder_sees_a_cycle() -> None:
    """The check above can fail: a graph with a cycle is reported with the cycle's units."""
    graph = {"a": {"b": "a imports b"}, "b": {"c": "b imports c"}, "c": {"a": "c imports a"}, "d": {}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": ""}, "b": {}}) is None


def test_the_domain_imports_only_the_standard_library_and_itself() -> None:
    stdlib = sys.stdlib_module_names | {"__future__"}
    outside = sorted(
        f"{module_name(path)} imports {imported}"
        for path in sorted((PACKAGE / "domain").rglob("*.py"))
        for imported in imported_modules(path)
        if imported.split(".")[0] not in stdlib
        and not imported.startswith("livecart.domain")
        and imported != "livecart"  # `from livecart import x` is judged by its `livecart.x`
    )
    assert outside == []
