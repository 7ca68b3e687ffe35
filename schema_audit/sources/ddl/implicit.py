"""The casts PostgreSQL adds when it stores an expression, added statically the same way.

``round(length / 60.0, 2)`` over a smallint column is stored (and printed by the catalog) as
``round(((length)::numeric / 60.0), 2)``: an integer column meeting a numeric literal in an
arithmetic or comparison operator is promoted to numeric, because no operator takes an
integer and a numeric. Read as written, a generated column, a CHECK or an index expression
of this shape differed from the catalog (pagila's ``film.length_hours``), a false FAIL of a
static audit against the catalog's spec. Only that promotion is added: it is the one
PostgreSQL always makes (a float column meets a numeric literal the other way round, the
literal is cast, which the canonical forms already treat as the bare literal). A
``BETWEEN`` is stored as the comparisons it stands for, each promoted on its own
(``i BETWEEN 1 AND 2.5`` is ``((i >= 1) AND ((i)::numeric <= 2.5))``), so one that mixes an
integer with a numeric is expanded first, as PostgreSQL's parser expands it.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast

from pglast import ast
from pglast.enums import A_Expr_Kind, BoolExprType, SubLinkType

from schema_audit.model import Column
from schema_audit.pgparse import parse_sql

INTEGER_TYPES = frozenset({"smallint", "integer", "bigint"})
_ARITHMETIC = frozenset({"+", "-", "*", "/", "%"})
_COMPARISONS = frozenset({"<", ">", "<=", ">=", "=", "<>", "!="})

# what an operand is, as far as this promotion cares: an integer expression, an integer
# literal (PostgreSQL casts it too, and the canonical forms drop a literal's cast), numeric,
# a float (double precision, real) and an interval
_INT, _INT_LITERAL, _NUMERIC = "int", "int literal", "numeric"
_FLOAT, _INTERVAL = "float", "interval"
_FLOAT_TYPES = frozenset({"double precision", "real", "float8", "float4"})


def _as_numeric(node: Any) -> ast.TypeCast:
    return ast.TypeCast(
        arg=node, typeName=ast.TypeName(names=(ast.String(sval="numeric"),), typemod=-1)
    )


def _as_float8(node: Any) -> ast.TypeCast:
    """``integer * interval`` is ``float8 * interval`` (no integer one exists), an integer or
    numeric meeting a float is a float: stored ``((i)::double precision * iv)``."""
    return ast.TypeCast(
        arg=node, typeName=ast.TypeName(names=(ast.String(sval="float8"),), typemod=-1)
    )


def _to_float8(op: str, left: str | None, right: str | None) -> tuple[bool, bool, str | None]:
    """Which operand PostgreSQL casts to double precision, and the result's kind, for an
    operator meeting a float or an interval (float8 * interval and its like): (left, right,
    kind); None: not such a meeting."""
    number = (_INT, _INT_LITERAL, _NUMERIC)
    if _FLOAT in (left, right) and (left in number or right in number):
        kind = None if op in _COMPARISONS else _FLOAT
        return left in number, right in number, kind
    if op == "*" and left == _INTERVAL and right in number:
        return False, True, _INTERVAL
    if op == "*" and right == _INTERVAL and left in number:
        return True, False, _INTERVAL
    if op == "/" and left == _INTERVAL and right in number:
        return False, True, _INTERVAL
    return False, False, None


class Columns:
    """Where a column reference's column is found: the table's columns, by bare name.
    Inside a subquery nothing is (``enter``): its names may be another table's columns."""

    def __init__(self, columns: Mapping[str, Column]) -> None:
        self.columns = columns

    def column(self, ref: ast.ColumnRef) -> Column | None:
        """The column ``ref`` names, None where not certainly known."""
        fields = ref.fields or ()
        field = fields[0] if len(fields) == 1 else None
        return self.columns.get(field.sval or "") if isinstance(field, ast.String) else None

    def enter(self, select: ast.SelectStmt) -> Columns:
        """The resolver inside ``select`` (a subquery)."""
        return Columns({})


# one FROM list: qualifier -> its columns, or None where an item is not a known relation
FromScope = dict[str, Mapping[str, Column]] | None


class Scopes(Columns):
    """Column references resolved as PostgreSQL binds them in a predicate with subqueries
    (a policy's): innermost FROM list first, a qualifier by its relation's name or alias.
    ``from_scope`` gives a subquery's FROM list (None: an item the model does not know,
    and then no name there or below is resolved)."""

    def __init__(
        self, stack: list[FromScope], from_scope: Callable[[ast.SelectStmt], FromScope]
    ) -> None:
        super().__init__({})
        self.stack, self.from_scope = stack, from_scope

    def column(self, ref: ast.ColumnRef) -> Column | None:
        names = [f.sval or "" for f in ref.fields or () if isinstance(f, ast.String)]
        if len(names) != len(ref.fields or ()) or not 1 <= len(names) <= 2:
            return None
        for scope in reversed(self.stack):
            if scope is None:
                return None
            if len(names) == 2:
                if names[0] in scope:
                    return scope[names[0]].get(names[1])
                continue
            found = [columns[names[0]] for columns in scope.values() if names[0] in columns]
            if len(found) > 1:
                return None
            if found:
                return found[0]
        return None

    def enter(self, select: ast.SelectStmt) -> Columns:
        scope = None if select.withClause is not None else self.from_scope(select)
        return Scopes([*self.stack, scope], self.from_scope)


def _column_kind(node: ast.ColumnRef, columns: Columns) -> str | None:
    column = columns.column(node)
    if column is None:
        return None
    if column.type in INTEGER_TYPES:
        return _INT
    if column.type in _FLOAT_TYPES:
        return _FLOAT
    if column.type.split("(")[0] == "interval":
        return _INTERVAL
    return _NUMERIC if column.type.split("(")[0] == "numeric" else None


_SELECT_PARTS = ("targetList", "whereClause", "havingClause", "groupClause", "sortClause")


def _select_kind(node: ast.SelectStmt, columns: Columns) -> str | None:
    """Promote inside a subquery (in its own scope); the kind of its one output column."""
    if node.larg is not None and node.rarg is not None:  # UNION …: each side on its own
        _select_kind(node.rarg, columns)
        return _select_kind(node.larg, columns)
    inner = columns.enter(node)
    kinds = []
    for part in _SELECT_PARTS:
        value = getattr(node, part, None)
        if part == "targetList":
            kinds = [_promote(t, inner) for t in value or ()]
        elif isinstance(value, ast.Node):
            value = _expanded(value, inner)
            setattr(node, part, value)
            _promote(value, inner)
        elif value is not None:
            _promote(value, inner)
    return kinds[0] if len(kinds) == 1 else None


# aggregate -> its result's kind from its argument's (sum of a bigint is numeric: _sum_kind)
_AGGREGATES = {"avg", "sum", "min", "max", "count"}


def _aggregate_kind(node: ast.FuncCall, columns: Columns) -> str | None:
    names = [f.sval for f in node.funcname or () if isinstance(f, ast.String)]
    args = list(node.args or ())
    for arg in args:
        _promote(arg, columns)
    name = names[-1] if names and (len(names) == 1 or names[0] == "pg_catalog") else ""
    if name == "count":
        return _INT
    if name not in _AGGREGATES or len(args) != 1 or node.agg_distinct or node.over:
        return None
    kind = _promote(args[0], columns)
    if name in ("min", "max"):
        return _INT if kind == _INT_LITERAL else kind
    if name == "avg":
        return _NUMERIC if kind in (_INT, _INT_LITERAL, _NUMERIC) else None
    column = columns.column(args[0]) if isinstance(args[0], ast.ColumnRef) else None
    if kind == _NUMERIC or (column is not None and column.type == "bigint"):
        return _NUMERIC  # sum(bigint) is numeric, sum(integer) bigint
    return _INT if kind in (_INT, _INT_LITERAL) else None


def _coalesce_kind(node: ast.CoalesceExpr | ast.MinMaxExpr, columns: Columns) -> str | None:
    """The kind of a COALESCE (GREATEST, LEAST) whose arguments are all of one kind, after
    promoting inside them: ``coalesce(n, 0) > '1'`` is an integer meeting the literal, stored
    ``(COALESCE(n, 0) > 1)``. Arguments of different kinds (PostgreSQL casts them to a common
    type inside the call) give None: not worked out here."""
    node.args = tuple(_expanded(arg, columns) for arg in node.args or ())
    kinds = {_promote(arg, columns) for arg in node.args}
    if kinds <= {_INT, _INT_LITERAL}:
        # integers of one width only (`coalesce(n, b)` of an integer and a bigint casts n)
        widths = {_int_width(arg, columns) for arg in node.args} - {"literal"}
        if len(widths) > 1 or None in widths:
            return None
        return _INT if _INT in kinds else _INT_LITERAL
    return next(iter(kinds)) if len(kinds) == 1 else None


def _int_width(node: Any, columns: Columns) -> str | None:
    """An integer operand's type: a column's, "literal" for an integer constant (it takes
    the other arguments' type); None: an expression, not worked out here."""
    if isinstance(node, ast.A_Const):
        return "literal"
    column = columns.column(node) if isinstance(node, ast.ColumnRef) else None
    return column.type if column is not None else None


def _is_int8(text: str | None) -> bool:
    """An integer literal too large for integer is a Float node, but PostgreSQL makes it a
    bigint constant when it fits (``id < 10000000000`` is stored ``(id < '10000000000'::bigint)``,
    no numeric cast on ``id``); only a larger one is numeric."""
    if not text or not _INTEGER_TEXT.fullmatch(text):
        return False
    return -(2**63) <= int(text) < 2**63


_INTEGER_TEXT = re.compile(r"-?[0-9]+")


def _operator(node: ast.A_Expr) -> str | None:
    if node.kind != A_Expr_Kind.AEXPR_OP or not node.name or len(node.name) != 1:
        return None
    op = node.name[0].sval
    return op if op in _ARITHMETIC or op in _COMPARISONS else None


def _promote(node: object, columns: Columns) -> str | None:
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
        if isinstance(node.val, ast.Float):
            return _INT_LITERAL if _is_int8(node.val.fval) else _NUMERIC
        return None
    if isinstance(node, ast.A_Expr) and (op := _operator(node)) is not None:
        node.lexpr, node.rexpr = _expanded(node.lexpr, columns), _expanded(node.rexpr, columns)
        right = _promote(node.rexpr, columns)
        if node.lexpr is None:  # unary minus / plus
            return right if op in ("-", "+") else None
        left = _promote(node.lexpr, columns)
        if _string_literal(node.lexpr):  # an unknown takes the other operand's type
            node.lexpr = _typed_literal(node.lexpr, _literal_type(op, node.rexpr, right, columns))
            left = _promote(node.lexpr, columns)
        elif _string_literal(node.rexpr):
            node.rexpr = _typed_literal(node.rexpr, _literal_type(op, node.lexpr, left, columns))
            right = _promote(node.rexpr, columns)
        cast_left, cast_right, kind = _to_float8(op, left, right)
        if cast_left or cast_right:
            node.lexpr = _as_float8(node.lexpr) if cast_left else node.lexpr
            node.rexpr = _as_float8(node.rexpr) if cast_right else node.rexpr
            return kind
        if left == right == _INTERVAL and op in ("+", "-"):
            return _INTERVAL
        if _FLOAT in (left, right) or _INTERVAL in (left, right):
            return None  # another meeting (interval + interval, timestamp + interval …)
        if left == _NUMERIC and right == _INT:
            node.rexpr = _as_numeric(node.rexpr)
        elif right == _NUMERIC and left == _INT:
            node.lexpr = _as_numeric(node.lexpr)
        if op in _COMPARISONS or left is None or right is None:
            return None
        if _NUMERIC in (left, right):
            return _NUMERIC
        return _INT_LITERAL if left == right == _INT_LITERAL else _INT
    if isinstance(node, ast.A_Expr) and node.kind in _LIST_KINDS:
        _typed_list(node, columns, _promote(node.lexpr, columns))
    if isinstance(node, ast.ResTarget):
        node.val = _expanded(node.val, columns)
        return _promote(node.val, columns)
    if isinstance(node, ast.SelectStmt):
        return _select_kind(node, columns)
    if isinstance(node, ast.SubLink) and isinstance(node.subselect, ast.SelectStmt):
        inner = _select_kind(node.subselect, columns)
        if node.testexpr is not None:
            node.testexpr = _expanded(node.testexpr, columns)
            test = _promote(node.testexpr, columns)
            is_in = node.subLinkType == SubLinkType.ANY_SUBLINK
            if is_in and test == _INT and inner == _NUMERIC:
                node.testexpr = _as_numeric(node.testexpr)  # `amount IN (SELECT cap …)`
        return inner if node.subLinkType == SubLinkType.EXPR_SUBLINK else None
    if isinstance(node, ast.FuncCall):
        return _aggregate_kind(node, columns)
    if isinstance(node, ast.CoalesceExpr | ast.MinMaxExpr) and node.args:
        return _coalesce_kind(node, columns)
    if isinstance(node, ast.TypeCast):
        node.arg = _expanded(node.arg, columns)
        _promote(node.arg, columns)
        type_name = node.typeName
        if type_name is None or not type_name.names or type_name.arrayBounds:
            return None
        base = type_name.names[-1].sval
        if base in ("int2", "int4", "int8", "smallint", "integer", "bigint"):
            return _INT
        if base in ("float8", "float4"):
            return _FLOAT
        if base == "interval":
            return _INTERVAL
        return _NUMERIC if base in ("numeric", "decimal") else None
    for slot in getattr(type(node), "__slots__", ()):
        value = getattr(node, slot, None)
        if isinstance(value, ast.Node):
            value = _expanded(value, columns)
            setattr(node, slot, value)
        elif isinstance(value, tuple | list):
            value = type(value)(_expanded(item, columns) for item in value)
            setattr(node, slot, value)
        if isinstance(value, ast.Node | tuple | list):
            _promote(value, columns)
    return None


# BETWEEN's kinds -> how PostgreSQL's parser writes them out (transformAExprBetween):
# (outer operator, inner operator, low comparison, high comparison, symmetric)
_BETWEEN = {
    A_Expr_Kind.AEXPR_BETWEEN: (BoolExprType.AND_EXPR, None, ">=", "<=", False),
    A_Expr_Kind.AEXPR_NOT_BETWEEN: (BoolExprType.OR_EXPR, None, "<", ">", False),
    A_Expr_Kind.AEXPR_BETWEEN_SYM: (BoolExprType.OR_EXPR, BoolExprType.AND_EXPR, ">=", "<=", True),
    A_Expr_Kind.AEXPR_NOT_BETWEEN_SYM: (
        BoolExprType.AND_EXPR,
        BoolExprType.OR_EXPR,
        "<",
        ">",
        True,
    ),
}


# the forms whose untyped literals take the value's type (``_typed_list``)
_LIST_KINDS = frozenset({A_Expr_Kind.AEXPR_IN, *_BETWEEN})


def _compare(op: str, left: Any, right: Any) -> ast.A_Expr:
    return ast.A_Expr(
        kind=A_Expr_Kind.AEXPR_OP, name=(ast.String(sval=op),), lexpr=left, rexpr=right
    )


def _expanded(node: Any, columns: Columns) -> Any:
    """``node``, or the comparisons a BETWEEN stands for when an integer operand meets a
    numeric one in it (each comparison is then promoted on its own, as PostgreSQL does)."""
    if not isinstance(node, ast.A_Expr) or node.kind not in _BETWEEN:
        return node
    pair_of_bounds: Any = node.rexpr
    low, high = pair_of_bounds
    kinds = {_promote(node.lexpr, columns)}
    bounds = {_promote(low, columns), _promote(high, columns)}
    if not ((_INT in kinds and _NUMERIC in bounds) or (_NUMERIC in kinds and _INT in bounds)):
        return node
    outer, inner, low_op, high_op, symmetric = _BETWEEN[node.kind]
    value = node.lexpr

    def pair(first: Any, second: Any) -> tuple[ast.A_Expr, ast.A_Expr]:
        return (_compare(low_op, value, first), _compare(high_op, value, second))

    if not symmetric:
        return ast.BoolExpr(boolop=outer, args=pair(low, high))
    assert inner is not None
    return ast.BoolExpr(
        boolop=outer,
        args=(
            ast.BoolExpr(boolop=inner, args=pair(low, high)),
            ast.BoolExpr(boolop=inner, args=pair(high, low)),
        ),
    )


def promote_integer_columns(
    expr: Any, columns: Mapping[str, Column] | Columns, bases: Mapping[str, str] | None = None
) -> Any:
    """``expr`` with each integer operand an operator meets with a numeric one wrapped in the
    ``::numeric`` cast PostgreSQL stores (and citext's operators qualified as the catalog
    prints them: ``_citext_operators``) (``columns``: the table's, by name, or a resolver
    such as ``Scopes``); changed in place except a BETWEEN at the top, which is replaced:
    use the returned expression. ``bases``: domain type -> the type an operator meeting a
    column of that domain takes it as (``domains.operand_bases``): such an operand is
    stored cast to it (``(a)::integer > 2``), and promoted as that type."""
    if expr is None or not columns:
        return expr
    typed = {}
    if bases and not isinstance(columns, Columns):
        typed = {n: bases[c.type] for n, c in columns.items() if c.type in bases}
        if typed:  # judged as of their base type: a domain over integer is promoted too
            columns = {**columns, **{n: Column(n, base) for n, base in typed.items()}}
    resolver = columns if isinstance(columns, Columns) else Columns(columns)
    expr = _expanded(expr, resolver)
    _promote(expr, resolver)
    _citext_operators(expr, resolver)
    if typed:
        _domain_operands(expr, typed)
    return expr


# column types an untyped literal meeting one is stored cast to (``r > '2'`` over a real
# column: ``(r > '2'::real)``, ``d < '1 hour'`` over an interval: ``'01:00:00'::interval``,
# ``t > '2024-01-01 00:00+00'`` over a timestamptz: the instant, which sqltime reads)
_NUMBER_TYPES = frozenset({"smallint", "integer", "bigint", "real", "double precision", "numeric"})
_TIME_TYPES = frozenset(
    {
        "timestamp with time zone",
        "timestamp without time zone",
        "date",
        "time without time zone",
        "time with time zone",
    }
)
_LITERAL_TYPES = _NUMBER_TYPES | _TIME_TYPES | {"interval"}
# an operand's kind -> the type an untyped literal it meets takes (its own: PostgreSQL's
# operator resolution assumes an unknown operand is of the other one's type)
_KIND_TYPES = {
    _INT: "integer",
    _INT_LITERAL: "integer",
    _NUMERIC: "numeric",
    _FLOAT: "double precision",
    _INTERVAL: "interval",
}
_TYPMOD = re.compile(r"\(\d+(?:,\d+)?\)")


def takes_typed_literals(column_type: str) -> bool:
    """Whether an untyped literal meeting a column of ``column_type`` is stored cast."""
    return _TYPMOD.sub("", column_type) in _LITERAL_TYPES


def _literal_type(op: str, other: Any, kind: str | None, columns: Columns) -> str | None:
    """The type an untyped string literal meeting ``other`` (of operand ``kind``) with ``op``
    is stored cast to, where PostgreSQL has ``op`` for two operands of ``other``'s type (a
    comparison for each of ``_LITERAL_TYPES``; ``+ - * /`` for numbers, ``%`` but for
    floats, ``+ -`` for intervals: ``t + '1 day'`` is a timestamptz plus an interval, left
    alone); None: not known."""
    column = columns.column(other) if isinstance(other, ast.ColumnRef) else None
    if column is not None:
        if not takes_typed_literals(column.type):
            return None
        type_: str | None = _TYPMOD.sub("", column.type)
    else:
        type_ = _KIND_TYPES.get(kind or "")
    if type_ is None or op in _COMPARISONS:
        return type_
    if type_ in _NUMBER_TYPES and op != "%" or type_ in INTEGER_TYPES | {"numeric"}:
        return type_
    return type_ if type_ == "interval" and op in ("+", "-") else None


def _typed_literal(node: Any, type_: str | None) -> Any:
    """``node`` cast to ``type_`` where it is an untyped string literal and ``type_`` known."""
    if type_ is None or not _string_literal(node):
        return node
    return ast.TypeCast(arg=node, typeName=_type_name(type_))


def _typed_list(node: ast.A_Expr, columns: Columns, kind: str | None) -> None:
    """A BETWEEN's untyped bounds (each compared with the value on its own), or an IN list
    of untyped literals only (the common type of the value and unknowns is the value's),
    cast to the value's type (``kind``: its operand kind, where known): ``n IN ('1', '2')``
    is stored ``n = ANY (ARRAY[1, 2])``."""
    items = node.rexpr
    if not isinstance(items, tuple | list):
        return
    if node.kind == A_Expr_Kind.AEXPR_IN and not all(_string_literal(i) for i in items):
        return
    type_ = _literal_type("=", node.lexpr, kind, columns)
    node.rexpr = type(items)(_typed_literal(item, type_) for item in items)


def typed_by_column(node: ast.A_Expr, columns: Columns) -> None:
    """In place: an untyped literal a comparison, an IN list or a BETWEEN meets with a column
    of ``_LITERAL_TYPES`` cast to the column's type, as PostgreSQL stores it (a view's
    ``WHERE m.r > '2'`` is ``m.r > '2'::real``); for a query, whose expressions' types are
    not worked out here (``viewdef``), only a column's."""
    if node.kind in _LIST_KINDS:
        _typed_list(node, columns, None)
        return
    op = _operator(node)
    if op not in _COMPARISONS:
        return
    if _string_literal(node.lexpr):
        node.lexpr = _typed_literal(node.lexpr, _literal_type(op, node.rexpr, None, columns))
    elif _string_literal(node.rexpr):
        node.rexpr = _typed_literal(node.rexpr, _literal_type(op, node.lexpr, None, columns))


# the operator forms whose operands PostgreSQL coerces from a domain to its base type
_COERCING_KINDS = frozenset(
    {A_Expr_Kind.AEXPR_OP, A_Expr_Kind.AEXPR_IN, A_Expr_Kind.AEXPR_LIKE, A_Expr_Kind.AEXPR_ILIKE}
) | frozenset(_BETWEEN)


def _domain_operands(expr: Any, typed: Mapping[str, str]) -> None:
    """Each operand an operator takes from a column of a domain (``typed``: column -> the
    base type) cast to that type, as the catalog prints it: ``(a)::integer = ANY (…)``. A
    bare column elsewhere (``a IS NOT NULL``, ``NOT b``) is not: no operator takes it.
    Subqueries are not entered (their names are other tables' columns)."""
    for node in outside_subqueries(expr):
        if isinstance(node, ast.A_Expr) and node.kind in _COERCING_KINDS:
            node.lexpr = _as_base(node.lexpr, typed)
            if isinstance(node.rexpr, tuple | list):
                node.rexpr = tuple(_as_base(item, typed) for item in node.rexpr)
            else:
                node.rexpr = _as_base(node.rexpr, typed)


def _as_base(node: Any, typed: Mapping[str, str]) -> Any:
    if not isinstance(node, ast.ColumnRef):
        return node
    fields = node.fields or ()
    name = fields[0].sval if len(fields) == 1 and isinstance(fields[0], ast.String) else None
    base = typed.get(name or "")
    if base is None:
        return node
    return ast.TypeCast(arg=node, typeName=_type_name(base))


@functools.lru_cache(maxsize=64)
def _parsed_type(text: str) -> ast.TypeName:
    select = cast("ast.SelectStmt", parse_sql(f"SELECT NULL::{text}")[0].stmt)
    targets = cast("tuple[ast.ResTarget, ...]", select.targetList)
    return cast("ast.TypeName", cast("ast.TypeCast", targets[0].val).typeName)


def _type_name(text: str) -> ast.TypeName:
    """A TypeName of ``text``, a copy each time (the tree it joins may be changed in place)."""
    return copy.deepcopy(_parsed_type(text))


# citext's own operators (for citext, citext; the pattern ones also for citext, text)
_CITEXT_OPERATORS = frozenset(
    {"=", "<>", "!=", "<", "<=", ">", ">=", "~", "~*", "!~", "!~*", "~~", "~~*", "!~~", "!~~*"}
)
_PATTERN_KINDS = (A_Expr_Kind.AEXPR_LIKE, A_Expr_Kind.AEXPR_ILIKE)


def _citext_schema(node: Any, columns: Columns) -> str | None:
    """The schema of the citext type of a column ``node`` names, or of a cast to citext
    (``name::citext``; unqualified: public, as the model names it) (None: neither)."""
    if isinstance(node, ast.TypeCast) and node.typeName is not None:
        names = [n.sval for n in node.typeName.names or () if isinstance(n, ast.String)]
        if names[-1:] == ["citext"] and len(names) <= 2 and not node.typeName.arrayBounds:
            return names[0] if len(names) == 2 else "public"
        return None
    column = columns.column(node) if isinstance(node, ast.ColumnRef) else None
    if column is None:
        return None
    if column.type == "citext":
        return "public"  # the model names public's types bare
    schema, _, name = column.type.rpartition(".")
    return schema if name == "citext" and schema else None


def _citext_meeting(left: Any, right: Any, columns: Columns) -> str | None:
    """The citext schema whose operator two operands meet with: a citext operand (column or
    cast) and a string literal on either side, or two citext operands of one schema."""
    ours, theirs = _citext_schema(left, columns), _citext_schema(right, columns)
    if ours is not None and theirs is not None:
        return ours if ours == theirs else None
    if ours is not None and _string_literal(right):
        return ours
    if theirs is not None and _string_literal(left):
        return theirs  # `'admin' <> email`: the literal is taken as citext
    return None


def _string_literal(node: Any) -> bool:
    return isinstance(node, ast.A_Const) and isinstance(node.val, ast.String)


def _citext_operators(expr: Any, columns: Columns) -> None:
    """``email ~ '…'`` over a citext column is stored with citext's own operator, which the
    catalog (read with an empty search_path) prints ``email OPERATOR(public.~) '…'``
    (graphile/starter's CHECKs): such an operator is qualified here the same way. Only a
    citext column or cast meeting a string literal (either side) or another citext operand of
    the same schema; ``email::text ~ '…'`` keeps pg_catalog's operator, as in PostgreSQL
    (a column of a domain over citext is cast to citext first: ``operand_bases``). Subqueries
    are not entered (their names are other tables' columns)."""
    for node in outside_subqueries(expr):
        if (
            isinstance(node, ast.A_Expr)
            and node.kind in (A_Expr_Kind.AEXPR_OP, *_PATTERN_KINDS)
            and node.name
            and len(node.name) == 1
            and node.name[0].sval in _CITEXT_OPERATORS
            and (schema := _citext_meeting(node.lexpr, node.rexpr, columns)) is not None
        ):
            op = "<>" if node.name[0].sval == "!=" else node.name[0].sval
            node.kind = A_Expr_Kind.AEXPR_OP  # LIKE is stored as the ~~ operator it stands for
            node.name = (ast.String(sval=schema), ast.String(sval=op))


def outside_subqueries(node: Any) -> Iterator[ast.Node]:
    """Every node of an expression outside its subqueries, each before its children (a
    caller may replace a node's children before they are walked)."""
    if isinstance(node, tuple | list):
        for item in node:
            yield from outside_subqueries(item)
        return
    if not isinstance(node, ast.Node) or isinstance(node, ast.SelectStmt | ast.SubLink):
        return
    yield node
    for slot in getattr(type(node), "__slots__", ()):
        value = getattr(node, slot, None)
        if isinstance(value, ast.Node | tuple | list):
            yield from outside_subqueries(value)
