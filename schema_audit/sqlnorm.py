"""Canonical forms of SQL types and expressions, so equal things compare equal.

A spec is written by a person (``tenant_id = current_setting('app.x')::uuid``,
``VARCHAR(255)``, ``state IN ('a', 'b')``); the catalog prints the same things
its own way (``(tenant_id = (current_setting('app.x'::text))::uuid)``,
``character varying(255)``, ``((state)::text = ANY ((ARRAY['a'::character
varying, …])::text[]))``); the static interpreter keeps what pglast deparses.
All three go through PostgreSQL's own grammar (pglast), get the catalog's
decorations removed from the tree, and are printed back by one deparser, so
the same meaning yields the same string and a different meaning does not.

Deliberate choices: casts of string literals (to any type) and of columns to
text are dropped (the catalog adds them; they do not change what a spec
means); ``IN (…)`` and ``= ANY (ARRAY[…])`` are one form; ``BETWEEN`` becomes
``>= AND <=`` (the catalog stores it so); ``CURRENT_TIMESTAMP`` and ``now()``
stay different, as PostgreSQL keeps them different; ``0`` and ``0.0`` stay
different numerics. Unparseable text never raises: it falls back to a
whitespace- and case-folded string.
"""

from __future__ import annotations

import functools
import re

from pglast import ast
from pglast.enums import A_Expr_Kind, BoolExprType, CoercionForm
from pglast.stream import RawStream

from schema_audit.pgparse import parse_sql

_TYPE_NAMES = {
    "int4": "integer",
    "int": "integer",
    "integer": "integer",
    "int8": "bigint",
    "bigint": "bigint",
    "int2": "smallint",
    "smallint": "smallint",
    "float8": "double precision",
    "float4": "real",
    "bool": "boolean",
    "boolean": "boolean",
    "varchar": "character varying",
    "bpchar": "character",
    "timestamptz": "timestamp with time zone",
    "timestamp": "timestamp without time zone",
    "timetz": "time with time zone",
    "time": "time without time zone",
    "varbit": "bit varying",
    "bit": "bit",
    "decimal": "numeric",
    "numeric": "numeric",
    "serial": "integer",
    "serial4": "integer",
    "bigserial": "bigint",
    "serial8": "bigint",
    "smallserial": "smallint",
    "serial2": "smallint",
}
_TEXTLIKE = {"text", "varchar", "bpchar", "unknown", "name", "character varying", "character"}
_NUMERIC = {"int4", "int8", "int2", "numeric", "float8", "float4"}


def _typmod_values(node: ast.TypeName) -> list[str]:
    out = []
    for mod in node.typmods or ():
        if isinstance(mod, ast.A_Const) and mod.val is not None:
            value = getattr(mod.val, "ival", None)
            if value is None:
                value = getattr(mod.val, "sval", None) or getattr(mod.val, "fval", None)
            out.append(str(value))
        elif isinstance(mod, ast.ColumnRef):
            out.append(".".join(f.sval for f in mod.fields if isinstance(f, ast.String)))
    return out


def format_typename(node: ast.TypeName) -> str:
    """The ``format_type()`` spelling of a pglast TypeName (``character varying(255)``)."""
    names = [n.sval for n in node.names]
    schema = names[-2] if len(names) > 1 else None
    base = names[-1]
    mods = _typmod_values(node)
    if base == "bpchar" and schema is None and not mods:
        text = "bpchar"  # a bare bpchar has no length; format_type prints it so
    elif schema in (None, "pg_catalog") and base in _TYPE_NAMES:
        canonical = _TYPE_NAMES[base]
        if canonical.startswith(("timestamp", "time ")) and mods:
            word, _, zone = canonical.partition(" ")
            text = f"{word}({mods[0]}) {zone}"
        elif base == "interval":
            text = "interval"
        else:
            text = canonical + (f"({','.join(mods)})" if mods else "")
    else:
        text = base if schema in (None, "pg_catalog", "public") else f"{schema}.{base}"
        if base == "interval" and mods:
            text = "interval"
        elif mods:
            text += f"({','.join(mods)})"
    if node.arrayBounds:
        text += "[]"
    return text


@functools.lru_cache(maxsize=4096)
def canonical_type(text: str) -> str:
    """Canonical spelling of a type written as text; ValueError when it is not a type."""
    cleaned = text.strip()
    if not cleaned:
        raise ValueError("empty type")
    try:
        stmt = parse_sql(f"SELECT NULL::{cleaned}")[0].stmt
        cast = stmt.targetList[0].val
    except Exception as exc:  # pglast.parser.ParseError and friends
        raise ValueError(f"not a PostgreSQL type: {text!r}") from exc
    if not isinstance(cast, ast.TypeCast) or len(stmt.targetList) != 1:
        raise ValueError(f"not a PostgreSQL type: {text!r}")
    return format_typename(cast.typeName)


# -- expressions ----------------------------------------------------------------


def _type_base(type_name: ast.TypeName) -> str:
    return type_name.names[-1].sval


def _is_string_const(node: object) -> bool:
    return isinstance(node, ast.A_Const) and isinstance(node.val, ast.String)


def _is_numeric_const(node: object) -> bool:
    return isinstance(node, ast.A_Const) and isinstance(node.val, ast.Integer | ast.Float)


def _strip_cast(node: ast.TypeCast):  # type: ignore[no-untyped-def]
    """Drop casts the catalog adds that do not change meaning."""
    base = _type_base(node.typeName)
    arg = node.arg
    if node.typeName.arrayBounds:
        if isinstance(arg, ast.A_ArrayExpr) or _is_string_const(arg):
            return arg  # ARRAY[…]::text[] and '{}'::text[]: the column's array type, spelled out
        return node
    if _is_string_const(arg):
        if base in ("bool", "boolean"):
            value = arg.val.sval.strip().lower()
            if value in ("t", "true", "yes", "on", "1", "y"):
                return ast.A_Const(val=ast.Boolean(boolval=True))
            if value in ("f", "false", "no", "off", "0", "n"):
                return ast.A_Const(val=ast.Boolean(boolval=False))
        # '0'::numeric, 'x'::text, '2024-01-01'::date: the catalog spells out the literal's
        # coercion to the column or operand type; a person writes the bare literal.
        return arg
    if _is_numeric_const(arg) and base in _NUMERIC:
        return arg
    if isinstance(arg, ast.ColumnRef) and base in _TEXTLIKE and not node.typeName.typmods:
        return arg
    if (
        isinstance(arg, ast.A_Const)
        and isinstance(arg.val, ast.Boolean)
        and base in ("bool", "boolean")
    ):
        return arg
    return node


def _normalize(node):  # type: ignore[no-untyped-def]
    """Rewrite a pglast expression tree bottom-up into the canonical shape."""
    if isinstance(node, tuple | list):
        return tuple(_normalize(n) for n in node)
    if not isinstance(node, ast.Node):
        return node
    for slot in type(node).__slots__:
        if slot == "location":
            continue
        value = getattr(node, slot, None)
        if isinstance(value, ast.Node | tuple | list):
            setattr(node, slot, _normalize(value))
    if hasattr(node, "location"):
        node.location = None
    if isinstance(node, ast.TypeCast):
        return _strip_cast(node)
    if isinstance(node, ast.FuncCall):
        names = [n.sval for n in node.funcname]
        if len(names) == 2 and names[0] == "pg_catalog":
            node.funcname = (ast.String(sval=names[1]),)
        if node.funcformat == CoercionForm.COERCE_SQL_SYNTAX and names[-1] in (
            "btrim",
            "ltrim",
            "rtrim",
        ):
            node.funcformat = CoercionForm.COERCE_EXPLICIT_CALL
        return node
    if isinstance(node, ast.A_Expr):
        return _normalize_a_expr(node)
    if isinstance(node, ast.BoolExpr):
        flat = []
        for arg in node.args:
            if (
                isinstance(arg, ast.BoolExpr)
                and arg.boolop == node.boolop
                and node.boolop != BoolExprType.NOT_EXPR
            ):
                flat.extend(arg.args)
            else:
                flat.append(arg)
        node.args = tuple(flat)
        return node
    return node


def _normalize_a_expr(node: ast.A_Expr):  # type: ignore[no-untyped-def]
    op = node.name[-1].sval if node.name else None
    if (
        node.kind == A_Expr_Kind.AEXPR_OP_ANY
        and op == "="
        and isinstance(node.rexpr, ast.A_ArrayExpr)
    ):
        return ast.A_Expr(
            kind=A_Expr_Kind.AEXPR_IN,
            name=(ast.String(sval="="),),
            lexpr=node.lexpr,
            rexpr=tuple(node.rexpr.elements),
        )
    if (
        node.kind == A_Expr_Kind.AEXPR_OP_ALL
        and op == "<>"
        and isinstance(node.rexpr, ast.A_ArrayExpr)
    ):
        return ast.A_Expr(
            kind=A_Expr_Kind.AEXPR_IN,
            name=(ast.String(sval="<>"),),
            lexpr=node.lexpr,
            rexpr=tuple(node.rexpr.elements),
        )
    if node.kind in (A_Expr_Kind.AEXPR_BETWEEN, A_Expr_Kind.AEXPR_NOT_BETWEEN):
        low, high = node.rexpr
        if node.kind == A_Expr_Kind.AEXPR_BETWEEN:
            parts = (_op(">=", node.lexpr, low), _op("<=", node.lexpr, high))
            return ast.BoolExpr(boolop=BoolExprType.AND_EXPR, args=parts)
        parts = (_op("<", node.lexpr, low), _op(">", node.lexpr, high))
        return ast.BoolExpr(boolop=BoolExprType.OR_EXPR, args=parts)
    if node.name and len(node.name) == 2 and node.name[0].sval == "pg_catalog":
        node.name = (node.name[1],)
    return node


def _op(name: str, left, right):  # type: ignore[no-untyped-def]
    return ast.A_Expr(
        kind=A_Expr_Kind.AEXPR_OP, name=(ast.String(sval=name),), lexpr=left, rexpr=right
    )


def _fallback(text: str) -> str:
    collapsed = " ".join(text.split())
    while collapsed.startswith("(") and collapsed.endswith(")"):
        collapsed = collapsed[1:-1].strip()
    return "?" + collapsed.lower()


@functools.lru_cache(maxsize=16384)
def canonical_expr(text: str) -> str:
    """A deterministic canonical string for an SQL expression (never raises)."""
    source = text.strip()
    if not source:
        return ""
    try:
        statements = parse_sql(f"SELECT {source}")
        stmt = statements[0].stmt
        if (
            len(statements) != 1
            or not isinstance(stmt, ast.SelectStmt)
            or len(stmt.targetList) != 1
        ):
            return _fallback(source)
        node = _normalize(stmt.targetList[0].val)
        return re.sub(r"\s+", " ", RawStream()(node)).strip()
    except Exception:  # a broken expression must not crash an audit
        return _fallback(source)


def exprs_equal(a: str | None, b: str | None) -> bool:
    """True when both are absent or both canonicalize to the same string."""
    if a is None or b is None:
        return (a is None or not str(a).strip()) and (b is None or not str(b).strip())
    return canonical_expr(str(a)) == canonical_expr(str(b))


def normalize_default(text: str | None) -> str | None:
    """Canonical default; a ``NULL`` default is the same as none."""
    if text is None:
        return None
    canonical = canonical_expr(str(text))
    return None if canonical in ("", "NULL") else canonical
