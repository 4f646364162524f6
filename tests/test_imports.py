"""How modules under leads/ may import each other, beyond the layers in pyproject.toml (which see only the top
level): no two sibling modules import each other, however indirectly, and no module imports another module's
private (underscore) names. A cycle or a borrowed private name means two modules are one concept split in two,
or a helper that wants a public home."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import grimp
import pytest

LEADS = Path(__file__).resolve().parents[1] / "leads"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("leads", cache_dir=None)


def _packages(graph: grimp.ImportGraph) -> list[str]:
    return sorted(m for m in graph.modules if graph.find_children(m))


def _sibling_edges(graph: grimp.ImportGraph, package: str) -> dict[str, set[str]]:
    """Which child of `package` imports which other child (a child stands for itself and all beneath it)."""
    children = graph.find_children(package)
    owner = {d: child for child in children for d in {child, *graph.find_descendants(child)}}
    edges: dict[str, set[str]] = {child: set() for child in children}
    for importer, child in owner.items():
        for imported in graph.find_modules_directly_imported_by(importer):
            target = owner.get(imported)
            if target is not None and target != child:
                edges[child].add(target)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_sibling_modules_import_each_other(graph):
    cycles = {package: _cycles(_sibling_edges(graph, package)) for package in _packages(graph)}
    assert {package: found for package, found in cycles.items() if found} == {}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _borrowed_private_names(path: Path) -> Iterator[str]:
    """`from x import _name`, and `x._name` where `x` is a module of ours imported by this file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    ours: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("leads")):
            for alias in node.names:
                if _private(alias.name):
                    yield f"from {node.module} import {alias.name}"
                ours.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            ours.update(alias.asname or alias.name for alias in node.names if alias.name.startswith("leads"))
    named = (n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name))
    yield from (f"{n.value.id}.{n.attr}" for n in named if n.value.id in ours and _private(n.attr))


def test_no_module_imports_another_modules_private_names():
    borrowed = {
        path.relative_to(LEADS).as_posix(): found
        for path in sorted(LEADS.rglob("*.py"))
        if (found := sorted(set(_borrowed_private_names(path))))
    }
    assert borrowed == {}
