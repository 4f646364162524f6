"""The docs name the tests that prove their claims: every `tests/....py` and `tests/....py::name` they cite
exists, and so does every `leads/....py` they point a reader to, so a test or module renamed or moved fails
here until the page that cites it is brought along."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([*(ROOT / "docs").glob("*.md"), ROOT / "README.md", ROOT / "CONTRIBUTING.md"])
# A test file, then optionally the test in it (`::test_x`, or `::TestClass::test_x`); a parameter id is ignored.
# A bare `::test_y` later on the same line is another test of the last file that line named.
REFERENCE = re.compile(r"\btests/[\w/]+\.py(?:::\w+)*|(?<![\w.])(?:::\w+)+")
MODULE = re.compile(r"\bleads/[\w/]+\.py\b")


def _references(pattern: re.Pattern[str] = REFERENCE) -> list[tuple[str, str]]:
    """(page, reference) for every match of `pattern` in the docs, each once, bare `::name`s given their file."""
    found = set()
    for page in PAGES:
        for line in page.read_text().splitlines():
            file = ""
            for ref in pattern.findall(line):
                file = file if ref.startswith("::") else ref.split("::")[0]
                found.add((page.relative_to(ROOT).as_posix(), file + ref if ref.startswith("::") else ref))
    return sorted(found)


@cache
def _names(path: Path) -> dict[str, ast.AST]:
    """The module's top-level functions and classes, by name."""
    tree = ast.parse(path.read_text())
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)}


def _defines(path: Path, names: list[str]) -> bool:
    scope = _names(path)
    for name in names:
        node = scope.get(name)
        if node is None:
            return False
        scope = {n.name: n for n in getattr(node, "body", []) if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    return True


def test_the_docs_cite_tests():
    assert len(_references()) > 50, "the pattern no longer finds the docs' references to tests"
    assert len(_references(MODULE)) > 20, "the pattern no longer finds the docs' references to modules"


@pytest.mark.parametrize(("page", "reference"), _references())
def test_every_cited_test_exists(page, reference):
    file, *names = reference.split("::")
    path = ROOT / file
    assert file, f"{page} cites {reference} on a line that names no test file before it"
    assert path.is_file(), f"{page} cites {file}, which does not exist"
    assert _defines(path, names), f"{page} cites {reference}: {file} defines no {'::'.join(names)}"


@pytest.mark.parametrize(("page", "module"), _references(MODULE))
def test_every_cited_module_exists(page, module):
    assert (ROOT / module).is_file(), f"{page} points to {module}, which does not exist"
