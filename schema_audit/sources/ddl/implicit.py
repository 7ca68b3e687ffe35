"""The casts PostgreSQL adds when it stores an expression, added statically the same way.

``round(length / 60.0, 2)`` over a smallint column is stored (and printed by the catalog) as
``round(((length)::numeric / 60.0), 2)``: an integer column meeting a numeric literal in an
arithmetic or comparison operator is promoted to numeric, because no operator takes an
integer and a numeric. Read as written, a generated column, a CHECK or an index expression
of this shape differed from the catalog (pagila's ``film.length_hours``), a false FAIL of a
static audit against the catalog's spec. Only that promotion is added: it is the one
PostgreSQL always makes (a float column meets a numeric literal the other way round, the
literal is cast, which the canonical forms already treat as the bare literal).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pglast import ast
from pglast.enums import A_Expr_Kind

from schema_audit.model import Column

_INTEGER_TYPES = frozenset({"smallint", "integer", "bigint"})
_ARITHMETIC = frozenset({"+", "-", "*", "/", "%"})
_COMPARISONS = frozenset({"<", ">", "<=", ">=", "=", "<>", "!="})

# what an operand is, as far as this promotion cares: an integer expression, an integer
# literal (PostgreSQL casts it too, and the canonical forms drop a literal's cast), numeric
_INT, _INT_LITERAL, _NUMERIC = "int", "int literal", "numeric"


def _as_numeric(node: Any) -> ast.TypeCast:
    return ast.TypeCast(
        arg=node, typeName=ast.TypeName(names=(ast.String(sval="numeric"),), typemod=-1)
    )


def _column_kind(node: ast.ColumnRef, columns: Mapping[str, Column]) -> str | None:
    fields = node.fields or ()
    field = fields[0] if len(fields) == 1 else None
    column = columns.get(field.sval or "") if isinstance(field, ast.String) else None
    if column is None:
        return None
    if column.type in _INTEGER_TYPES:
        return _INT
    return _NUMERIC if column.type.split("(")[0] == "numeric" else None


def _operator(node: ast.A_Expr) -> str | None:
    if node.kind != A_Expr_Kind.AEXPR_OP or not node.name or len(node.name) != 1:
        return None
    op = node.name[0].sval
    return op if op in _ARITHMETIC or op in _COMPARISONS else None


def _promote(node: object, columns: Mapping[str, Column]) -> str | None:
    """The operand kind of ``node`` (None: anything else), after promoting inside it."""
    if isinstance(node, tuple | list):
        for item in node:
            _promote(item, columns)
        return None
    if not isinstance(node, ast.Node):
        return None
    if isinstance(node, ast.ColumnRef):
        return _column_kind(node, columns)
    if isinstance(node, ast.A_Const):
        if isinstance(node.val, ast.Integer):
            return _INT_LITERAL
        return _NUMERIC if isinstance(node.val, ast.Float) else None
    if isinstance(node, ast.A_Expr) and (op := _operator(node)) is not None:
        right = _promote(node.rexpr, columns)
        if node.lexpr is None:  # unary minus / plus
            return right if op in ("-", "+") else None
        left = _promote(node.lexpr, columns)
        if left == _NUMERIC and right == _INT:
            node.rexpr = _as_numeric(node.rexpr)
        elif right == _NUMERIC and left == _INT:
            node.lexpr = _as_numeric(node.lexpr)
        if op in _COMPARISONS or left is None or right is None:
            return None
        if _NUMERIC in (left, right):
            return _NUMERIC
        return _INT_LITERAL if left == right == _INT_LITERAL else _INT
    if isinstance(node, ast.TypeCast):
        _promote(node.arg, columns)
        type_name = node.typeName
        if type_name is None or not type_name.names or type_name.arrayBounds:
            return None
        base = type_name.names[-1].sval
        if base in ("int2", "int4", "int8", "smallint", "integer", "bigint"):
            return _INT
        return _NUMERIC if base in ("numeric", "decimal") else None
    for slot in getattr(type(node), "__slots__", ()):
        value = getattr(node, slot, None)
        if isinstance(value, ast.Node | tuple | list):
            _promote(value, columns)
    return None


def promote_integer_columns(expr: object, columns: Mapping[str, Column]) -> None:
    """Wrap, in place, each integer operand an operator meets with a numeric one in the
    ``::numeric`` cast PostgreSQL stores (``columns``: the table's, by name)."""
    if expr is not None and columns:
        _promote(expr, columns)
