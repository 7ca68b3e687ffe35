"""A view's query as a spec states it and as a source holds it: the same query or not.

``init`` writes ``pg_get_viewdef``'s text; the live read holds the same text, so the usual
comparison is a string one. Otherwise both go through ``sqlnorm.canonical_query`` (PostgreSQL's
grammar, the catalog's decorations removed), imported only then.
"""

from __future__ import annotations

from typing import Any


def views_equal(a: str | None, b: str | None, *, printed: bool = False) -> bool | None:
    """Two view queries PostgreSQL would store alike (see ``sqlnorm.canonical_query``): True;
    different: False; None when they differ only in casts (one may be a cast PostgreSQL
    adds by itself, which a migration's text does not show, or a cast someone added) —
    unless both are ``pg_get_viewdef``'s text (``printed``: ``b`` was read from a catalog,
    and ``a`` is in its layout, as init wrote it): the same printer added the same casts,
    so a cast more or less is a different query."""
    left, right = str(a or ""), str(b or "")
    if unframed_query(left) == unframed_query(right):  # init's text of the same catalog
        return True
    from schema_audit.sqlnorm import canonical_query

    if canonical_query(left) == canonical_query(right) or _same_but_bytea_literals(left, right):
        return True
    if session_side(left, right) is not None:
        return None  # a date/time literal the session that ran it decided: undecided
    if canonical_query(left, True) == canonical_query(right, True):
        return False if printed and viewdef_layout(left) and viewdef_layout(right) else None
    return False


def session_side(a: str, b: str) -> str | None:
    """ "left" / "right": the side whose date/time literal the session that ran it decided
    (a zoneless timestamptz, 'now', a day/month order: ``sqltime``), when only such literals
    make two queries differ; None otherwise (any other difference is one a text can tell)."""
    from schema_audit import sqltime
    from schema_audit.sqlnorm import canonical_query

    left, right = canonical_query(a), canonical_query(b)
    if not sqltime.undecidable(left, right):
        return None
    return "left" if sqltime.depends_on_session(left) else "right"


def unframed_query(text: str) -> str:
    """pg_get_viewdef's text without its leading space and final ``;`` (as init writes it)."""
    return text.strip().removesuffix(";").rstrip()


def viewdef_layout(text: str) -> bool:
    """Whether ``text`` is laid out as ``pg_get_viewdef(view, true)`` prints a query over a
    relation (``FROM`` on its own line after three spaces): a catalog's text."""
    return "\n   FROM " in text


_BYTEA = "\x00bytea:"  # a literal PostgreSQL typed bytea, by its bytes in hex
_BARE = "\x00bare:"  # a literal written without a cast: typed by where it stands


def _same_but_bytea_literals(a: str, b: str) -> bool:
    """The same query but for literals one side writes bare where the other has a bytea
    literal of the same bytes: ``string_agg(DISTINCT cert.certificate, '|')`` over a bytea
    column is stored with the separator coerced to bytea, printed ``'\\x7c'::bytea``
    (hashicorp/boundary's views). A bare literal takes its type from where it stands, and the
    rest of the two queries is the same, so byteain reading it as those bytes is what
    PostgreSQL stores; a literal cast to another type on either side still differs. Only
    where another operand types the literal (``_typed_by_a_sibling``; review16)."""
    if "bytea" not in a and "bytea" not in b:
        return False
    left, right = _literal_slots(a), _literal_slots(b)
    if left is None or right is None or left[0] != right[0] or len(left[1]) != len(right[1]):
        return False
    return all(_same_literal(x, y) for x, y in zip(left[1], right[1], strict=True))


def _same_literal(x: str, y: str) -> bool:
    from schema_audit.byteatext import canonical_bytea

    if x == y:
        return True
    for typed, bare in ((x, y), (y, x)):
        if not bare.startswith(_BARE):
            continue
        if typed.startswith(_BYTEA):
            return canonical_bytea(bare.removeprefix(_BARE)) == typed.removeprefix(_BYTEA)
        if not typed.startswith(_BARE):  # another type's literal, folded: as canonical_query
            return bare.removeprefix(_BARE) == typed
    return False


def _literal_slots(text: str) -> tuple[str, list[str]] | None:
    """The canonical query with each string literal a placeholder, and the literals in
    order: a bytea one as its bytes, a bare one as written (marked), others as folded."""
    from pglast import ast

    from schema_audit.byteatext import canonical_bytea
    from schema_audit.pgparse import deparse, one_line
    from schema_audit.pgvisit import find_all
    from schema_audit.sqlnorm import query_tree

    def mark(tree: Any) -> Any:
        for cast in find_all(tree, ast.TypeCast):
            value = getattr(getattr(cast.arg, "val", None), "sval", None)
            if not isinstance(cast.arg, ast.A_Const) or not isinstance(value, str):
                continue
            names = [n.sval for n in cast.typeName.names]
            plain = not cast.typeName.typmods and not cast.typeName.arrayBounds
            stored = canonical_bytea(value) if names[-1] == "bytea" and plain else None
            if stored is not None and names[:-1] in ([], ["pg_catalog"]):
                cast.arg.val = ast.String(sval=_BYTEA + stored)
                cast.typeName = ast.TypeName(names=(ast.String(sval="text"),))  # dropped as text
        # a bare literal elsewhere, and a literal cast to another type (never an operand of
        # its own: the cast is), stay as written / folded as canonical_query folds them
        follows = _typed_by_a_sibling(tree)
        for const in find_all(tree, ast.A_Const):
            if isinstance(const.val, ast.String) and id(const) in follows:
                const.val = ast.String(sval=_BARE + str(const.val.sval))
        return tree

    try:
        tree = query_tree(text.strip().rstrip(";").strip(), before=mark)
        if tree is None:
            return None
        literals: list[str] = []
        for const in find_all(tree, ast.A_Const):
            if isinstance(const.val, ast.String):
                literals.append(str(const.val.sval))
                const.val = ast.String(sval="?")
        return one_line(deparse(tree)), literals
    except Exception:  # noqa: BLE001 - a query this cannot read: not the same by this rule
        return None


def _typed_by_a_sibling(tree: Any) -> set[int]:
    """The bare literals whose type PostgreSQL takes from another operand that is not a
    literal: an operator's other side (``b || 'ab'``), COALESCE / GREATEST / LEAST's other
    arguments, string_agg's separator beside its value. Elsewhere a bare literal is text
    whatever a bytea literal in its place would make of the call (``length('é')`` is 1,
    ``length('\\xc3a9'::bytea)`` 2; ``concat(b, 'x')``; ``'a' || 'b'``): not the same query."""
    from pglast import ast

    from schema_audit.pgvisit import find_all

    groups: list[list[Any]] = [
        [expr.lexpr, expr.rexpr]
        for expr in find_all(tree, ast.A_Expr)
        if isinstance(expr.lexpr, ast.Node) and isinstance(expr.rexpr, ast.Node)
    ]
    for many in find_all(tree, ast.CoalesceExpr) + find_all(tree, ast.MinMaxExpr):
        groups.append(list(many.args or ()))
    for call in find_all(tree, ast.FuncCall):
        name = getattr(call.funcname[-1], "sval", "") if call.funcname else ""
        if name == "string_agg" and len(call.args or ()) == 2:
            groups.append(list(call.args))
    return {
        id(node)
        for group in groups
        if any(not isinstance(node, ast.A_Const) for node in group)
        for node in group
        if isinstance(node, ast.A_Const) and isinstance(node.val, ast.String)
    }
