"""Finding nodes in pglast syntax trees, on pglast's own :class:`~pglast.visitors.Visitor`.

Every reader that needs "the column references / function calls / relations of this
expression" asks here instead of recursing over node attributes itself: one traversal,
pglast's, for the interpreter, the canonical forms, policy semantics and the linter.
"""

from __future__ import annotations

from typing import Any

from pglast import ast
from pglast.visitors import Skip, Visitor


class _Finder(Visitor):
    """Collects the nodes of some types; does not look inside the ones of ``leaves``."""

    def __init__(self, types: tuple[type[ast.Node], ...], leaves: tuple[type[ast.Node], ...]):
        self.types, self.leaves = types, leaves
        self.found: list[Any] = []

    def visit(self, ancestors: object, node: ast.Node) -> object:
        if isinstance(node, self.types):
            self.found.append(node)
        return Skip if isinstance(node, self.leaves) else None


def find_all(tree: object, *types: type[ast.Node]) -> list[Any]:
    """Every node of ``types`` in ``tree`` (a node, or a tuple or list of them), in the order
    they are written (pglast visits breadth first; the parser's ``location`` gives the text
    order, and trees without locations keep the visiting order)."""
    if isinstance(tree, list):
        tree = tuple(tree)
    if not isinstance(tree, ast.Node | tuple):
        return []
    # a ColumnRef holds only names: nothing to find below it
    finder = _Finder(types, (ast.ColumnRef,) if ast.ColumnRef in types else ())
    finder(tree)
    located = [
        at for node in finder.found if isinstance(at := getattr(node, "location", None), int)
    ]
    if len(located) == len(finder.found):
        order = sorted(range(len(located)), key=lambda i: located[i])  # stable: ties keep order
        return [finder.found[i] for i in order]
    return finder.found
