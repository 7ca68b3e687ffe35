"""Finding nodes in pglast syntax trees, on pglast's own :class:`~pglast.visitors.Visitor`.

Every reader that needs "the column references / function calls / relations of this
expression" asks here instead of recursing over node attributes itself: one traversal,
pglast's, for the interpreter, the canonical forms, policy semantics and the linter.
"""

from __future__ import annotations

from typing import Any

from pglast import ast
from pglast.visitors import Continue, Skip, Visitor

# Only pglast's traversal is used (``Visitor.iterate``): ``Visitor.__call__`` lists the
# instance's methods with ``inspect.getmembers`` on every call, most of a small search.
_WALKER = Visitor()


def find_all(tree: object, *types: type[ast.Node]) -> list[Any]:
    """Every node of ``types`` in ``tree`` (a node, or a tuple or list of them), in the order
    they are written (pglast visits breadth first; the parser's ``location`` gives the text
    order, and trees without locations keep the visiting order)."""
    if isinstance(tree, list):
        tree = tuple(tree)
    if not isinstance(tree, ast.Node | tuple):
        return []
    # a ColumnRef holds only names: nothing to find below it
    leaves = (ast.ColumnRef,) if ast.ColumnRef in types else ()
    found: list[Any] = []
    walk = _WALKER.iterate(tree)
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
        order = sorted(range(len(located)), key=lambda i: located[i])  # stable: ties keep order
        return [found[i] for i in order]
    return found
