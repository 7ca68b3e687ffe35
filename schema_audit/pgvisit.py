"""Finding nodes in pglast syntax trees, in the order of pglast's :class:`~pglast.visitors.Visitor`.

Every reader that needs "the column references / function calls / relations of this
expression" asks here instead of recursing over node attributes itself: one traversal,
for the interpreter, the canonical forms, policy semantics and the linter.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from pglast import ast

_BRANCHES = (tuple, ast.Node)


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
    # pglast's ``Visitor.iterate`` order (breadth first: a tuple's nodes in turn, a node's
    # members in slot order, nested tuples queued) without the ancestor chain it builds for
    # every node, which nothing here reads
    todo = deque((tree,))
    pop, push = todo.popleft, todo.append
    while todo:
        current = pop()
        for sub in current if isinstance(current, tuple) else (current,):
            if isinstance(sub, ast.Node):
                if isinstance(sub, types):
                    found.append(sub)
                if not isinstance(sub, leaves):
                    for member in sub:
                        value = getattr(sub, member)
                        if isinstance(value, _BRANCHES):
                            push(value)
            elif isinstance(sub, tuple):
                for value in sub:
                    if isinstance(value, _BRANCHES):
                        push(value)
    located = [at for node in found if isinstance(at := getattr(node, "location", None), int)]
    if len(located) == len(found):
        order = sorted(range(len(located)), key=lambda i: located[i])  # stable: ties keep order
        return [found[i] for i in order]
    return found
