"""Tests stand on their own: nothing under tests/ imports from benchmarks/ (issue 12).

The dependency goes one way: ``benchmarks/`` may import the tests' support modules
(``tests/synthetic.py``, the schema generator), never the reverse, so a benchmark can be
rewritten or deleted without breaking the test-suite, and ``pytest`` never runs with the
benchmark folder on ``sys.path``.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
BENCHMARKS = TESTS.parent / "benchmarks"


def _reaches_benchmarks(tree: ast.AST) -> list[str]:
    """Every import of a benchmarks/ module and every ``sys.path`` change naming the folder."""
    own = {p.stem for p in TESTS.glob("*.py")}
    bench = {p.stem for p in BENCHMARKS.glob("*.py")} - own
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        found += [
            f"line {node.lineno}: import {n}"
            for n in names
            if n.split(".")[0] in bench or n.split(".")[0] == "benchmarks"
        ]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and ast.unparse(node.func.value) == "sys.path"
            and "benchmarks" in ast.unparse(node)
        ):
            found.append(f"line {node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_no_test_module_imports_from_benchmarks() -> None:
    offenders = {
        path.name: hits
        for path in sorted(TESTS.glob("*.py"))
        if (hits := _reaches_benchmarks(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert offenders == {}


def test_the_check_sees_both_ways_of_reaching_in() -> None:
    """The check above would catch the two shapes the suite used to have."""
    old = (
        'import sys\nsys.path.insert(0, str(ROOT / "benchmarks"))\n'
        "def test():\n    from limits import write_alembic\n"
    )
    hits = _reaches_benchmarks(ast.parse(old))
    assert len(hits) == 2 and "import limits" in hits[1]
