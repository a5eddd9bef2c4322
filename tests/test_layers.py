"""The package's floors (../shared/DESIGN.md): imports go down, never up, and never in a circle.

The import graph is built with :mod:`ast` from the source (every ``import`` / ``from ... import``
of the package's own modules, also those inside functions). A module that imports its own
package's ``__init__`` closes a circle (the ``__init__`` imports the module), so it counts.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "explainsse"

#: Floors from the ground up: a module imports only from its own component or lower ones.
FLOORS = [
    ("errors",), ("_config",), ("chemistry", "formatting", "parallel"),
    ("io",),
    ("datasets",), ("featurize",), ("models",), ("explain",), ("validation",),
    ("analysis",),
    ("report", "screen"),
    ("cli", "__main__"),
]
RANK = {component: level for level, names in enumerate(FLOORS) for component in names}
#: Ground floors: they import nothing from the package above them.
GROUND = ("errors", "_config", "chemistry", "io", "parallel")


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _target(name: str) -> str:
    """The module ``name`` refers to: itself, or the package that defines the attribute."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _imports(module: str, path: Path):
    """``(target module, line, inside a function)`` for every import of the package's own modules."""
    tree = ast.parse(path.read_text())
    is_package = path.name == "__init__.py"
    out = []

    def visit(node, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = module.split(".") if is_package else module.split(".")[:-1]
                    base = base[: len(base) - (child.level - 1)]
                    prefix = ".".join(base + ([child.module] if child.module else []))
                else:
                    prefix = child.module or ""
                names = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in MODULES else prefix for a in child.names]
            else:
                visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))
                continue
            for name in names:
                if name == "explainsse" or name.startswith("explainsse."):
                    out.append((_target(name), child.lineno, in_function))

    visit(tree, False)
    return out


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def _component(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_import_cycles():
    edges = defaultdict(set)
    for module, imports in GRAPH.items():
        for target, _, _ in imports:
            if target != module and target != "explainsse":  # the top package's API is loaded lazily
                edges[module].add(target)
    state: dict[str, int] = {}
    cycles = []

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for module in sorted(MODULES):
        if module not in state:
            visit(module, [])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_imports_go_down_the_floors():
    upward = []
    for module, imports in GRAPH.items():
        here = _component(module)
        for target, line, _ in imports:
            there = _component(target)
            if there and here and there != here and RANK[there] > RANK[here]:
                upward.append(f"{module}:{line} imports {target}")
    assert not upward, "imports from a higher floor:\n" + "\n".join(upward)


def test_every_component_has_a_floor():
    assert {_component(m) for m in MODULES if _component(m)} <= set(RANK)


def test_ground_floors_import_nothing_above_them():
    for module, imports in GRAPH.items():
        if _component(module) in GROUND:
            for target, line, _ in imports:
                assert RANK[_component(target)] <= RANK[_component(module)], f"{module}:{line} imports {target}"
    assert not [t for t, _, _ in GRAPH["explainsse.parallel"]], "the task pool imports nothing from the package"


def test_no_function_level_imports_of_the_package():
    """The package's own modules are imported at the top; inside functions only heavy third-party libraries."""
    hidden = [f"{module}:{line} imports {target}" for module, imports in GRAPH.items()
              for target, line, in_function in imports if in_function]
    assert not hidden, "function-level imports of the package:\n" + "\n".join(hidden)
