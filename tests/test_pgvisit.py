"""pgvisit.find_all walks trees itself: it must find what pglast's own traversal finds, in
the same order (breadth first, then by source position where every match has one)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pglast import ast
from pglast.visitors import Continue, Skip, Visitor

from schema_audit.pgvisit import find_all
from schema_audit.sources.statements import split_statements
from schema_audit.sqlnorm import _normalize

FIXTURES = Path(__file__).parent / "fixtures"

TYPE_SETS: list[tuple[type[ast.Node], ...]] = [
    (ast.ColumnRef,),
    (ast.FuncCall,),
    (ast.RangeVar,),
    (ast.ColumnRef, ast.FuncCall),
    (ast.A_Expr, ast.String),
    (ast.SelectStmt, ast.TypeCast),
]


def _reference(tree: object, *types: type[ast.Node]) -> list[Any]:
    """find_all as written on pglast's ``Visitor.iterate`` (its traversal, its ancestors)."""
    if isinstance(tree, list):
        tree = tuple(tree)
    if not isinstance(tree, ast.Node | tuple):
        return []
    leaves = (ast.ColumnRef,) if ast.ColumnRef in types else ()
    found: list[Any] = []
    walk = Visitor().iterate(tree)
    try:
        _, node = next(walk)
        while True:
            if isinstance(node, types):
                found.append(node)
            _, node = walk.send(Skip if isinstance(node, leaves) else Continue)
    except StopIteration:
        pass
    located = [at for node in found if isinstance(at := getattr(node, "location", None), int)]
    if len(located) == len(found):
        order = sorted(range(len(located)), key=lambda i: located[i])
        return [found[i] for i in order]
    return found


def _trees() -> list[object]:
    trees: list[object] = []
    for path in sorted(FIXTURES.rglob("*.sql")):
        for statement in split_statements(path.read_text(encoding="utf-8", errors="replace")):
            if statement.node is not None:
                trees.append(statement.node)
    # trees without positions (sqlnorm's canonical form) and with a shared node (BETWEEN)
    for text in ("x BETWEEN 1 AND 2 AND lower(y) = 'a'", "(a, b) IN (SELECT c, d FROM t)"):
        tree = next(split_statements(f"SELECT {text}")).node
        trees.append(_normalize(tree.targetList[0].val))
    return trees


def test_find_all_finds_what_pglasts_traversal_finds_in_its_order() -> None:
    trees = _trees()
    assert len(trees) > 300
    compared = 0
    for tree in trees:
        for types in TYPE_SETS:
            assert [id(n) for n in find_all(tree, *types)] == [
                id(n) for n in _reference(tree, *types)
            ], (tree, types)
            compared += 1
    assert compared == len(trees) * len(TYPE_SETS)


@pytest.mark.parametrize("tree", [None, "x", 1, [], ()])
def test_find_all_of_no_tree_is_empty(tree: object) -> None:
    assert find_all(tree, ast.ColumnRef) == []
