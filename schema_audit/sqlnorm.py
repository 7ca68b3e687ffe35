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
means), date/time literals are read as the value PostgreSQL stores (sqltime); ``IN (…)`` and ``= ANY (ARRAY[…])`` are one form; ``BETWEEN`` becomes
``>= AND <=`` (the catalog stores it so; ``BETWEEN SYMMETRIC`` both orders of it); ``CURRENT_TIMESTAMP`` and ``now()``
stay different, as PostgreSQL keeps them different; ``0`` and ``0.0`` stay
different numerics. Unparseable text never raises: it falls back to a
whitespace- and case-folded string.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable
from decimal import Context, Decimal
from typing import TYPE_CHECKING, Any

from schema_audit import sqltime
from schema_audit.byteatext import canonical_bytea
from schema_audit.deferred import defer
from schema_audit.ident import split_qualified
from schema_audit.jsonbtext import canonical_jsonb
from schema_audit.jsonpathtext import canonical_jsonpath
from schema_audit.model import quote_ident
from schema_audit.tsvectortext import canonical_tsvector


def _import_pglast() -> None:
    """The parser and its node classes, on the first call that parses (see deferred.py)."""
    global ast, A_Expr_Kind, BoolExprType, CoercionForm, deparse, parse_sql, find_all, one_line
    from pglast import ast
    from pglast.enums import A_Expr_Kind, BoolExprType, CoercionForm

    from schema_audit.pgparse import deparse, one_line, parse_sql
    from schema_audit.pgvisit import find_all


if TYPE_CHECKING:
    from pglast import ast
    from pglast.enums import A_Expr_Kind, BoolExprType, CoercionForm

    from schema_audit.pgparse import deparse, one_line, parse_sql
    from schema_audit.pgvisit import find_all
else:  # a live audit whose texts are equal as written never loads pglast
    defer(
        globals(),
        _import_pglast,
        "ast A_Expr_Kind BoolExprType CoercionForm deparse parse_sql find_all one_line",
    )

BUILTIN_TYPE_NAMES = {
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
    elif schema in (None, "pg_catalog") and base in BUILTIN_TYPE_NAMES:
        canonical = BUILTIN_TYPE_NAMES[base]
        if canonical.startswith(("timestamp", "time ")) and mods:
            word, _, zone = canonical.partition(" ")
            text = f"{word}({mods[0]}) {zone}"
        elif base == "interval":
            text = "interval"
        else:
            text = canonical + (f"({','.join(mods)})" if mods else "")
    else:
        # format_type() quotes a name that needs it: "ApiTokenAlgorithm", public."Mood"
        text = (
            base  # a built-in type pglast spelled pg_catalog.x (interval): printed bare
            if schema == "pg_catalog"
            else quote_ident(base)
            if schema in (None, "public")
            else f"{quote_ident(schema)}.{quote_ident(base)}"
        )
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


# -- operator classes and collations -------------------------------------------------

# (access method, operator class) that are the default of their type in pg_catalog (PostgreSQL 15's
# pg_opclass.opcdefault): an index written with one of them is stored as if written without it.
_DEFAULT_OPCLASSES = {
    "btree": "array bit bool bpchar bytea char date enum float4 float8 inet int2 int4 int8 interval "
    "jsonb macaddr8 macaddr money multirange name numeric oid oidvector pg_lsn range record text tid "
    "time timestamp timestamptz timetz tsquery tsvector uuid varbit xid8",
    "hash": "aclitem array bool bpchar bytea char cid date enum float4 float8 inet int2 int4 int8 "
    "interval jsonb macaddr8 macaddr multirange name numeric oid oidvector pg_lsn range record text "
    "tid time timestamp timestamptz timetz uuid xid8 xid",
    "gin": "array jsonb tsvector",
    "gist": "box circle multirange point poly range tsquery tsvector",
    "spgist": "box inet poly quad_point range text",
}
DEFAULT_OPCLASSES = (
    frozenset(
        (method, f"{name}_ops")
        for method, names in _DEFAULT_OPCLASSES.items()
        for name in names.split()
    )
    | frozenset(("brin", f"{n}_minmax_ops") for n in _DEFAULT_OPCLASSES["btree"].split())
    | {
        ("brin", "box_inclusion_ops"),
        ("brin", "inet_inclusion_ops"),
        ("brin", "range_inclusion_ops"),
    }
)


def canonical_opclass(method: str, names: list[str]) -> str | None:
    """An index key's operator class as the model stores it: None when it is the type's default
    (``uuid_ops``), bare when it lives in pg_catalog or public (``gin_trgm_ops``), else qualified."""
    if not names:
        return None
    schema = names[-2] if len(names) > 1 else None
    name = names[-1]
    if schema in (None, "pg_catalog") and (method, name) in DEFAULT_OPCLASSES:
        return None
    if schema in (None, "pg_catalog", _HOME_SCHEMA):
        return quote_ident(name)
    return f"{quote_ident(schema)}.{quote_ident(name)}"


# -- expressions ----------------------------------------------------------------


def _type_base(type_name: ast.TypeName) -> str:
    return type_name.names[-1].sval


def _is_string_const(node: object) -> bool:
    return isinstance(node, ast.A_Const) and isinstance(node.val, ast.String)


def _is_numeric_const(node: object) -> bool:
    return isinstance(node, ast.A_Const) and isinstance(node.val, ast.Integer | ast.Float)


# The schema every source resolves unqualified names into: the catalog is read with an empty
# search_path (so it prints public.t_id_seq, public.f(), ::public.mood as pg_dump does) while a
# migration writes t_id_seq, f(), ::mood and means the same objects.
_HOME_SCHEMA = "public"
_REGCLASS_FUNCS = {"nextval", "currval", "setval", "pg_get_serial_sequence"}
_REG_TYPES = {"regclass", "regproc", "regprocedure", "regtype", "regconfig", "regnamespace"}


def canonical_relation_literal(text: str) -> str:
    """A regclass-style name literal in one spelling: schema dropped when it is public, quoted as needed."""
    parts = split_qualified(text.strip(), fold=True)
    if not parts:
        return text
    if len(parts) == 2 and parts[0] == _HOME_SCHEMA:
        parts = parts[1:]
    return ".".join(quote_ident(p) for p in parts)


def _home_names(names):
    """``public.f`` → ``f`` in a name list (functions, types, operators)."""
    if len(names) == 2 and isinstance(names[0], ast.String) and names[0].sval == _HOME_SCHEMA:
        return (names[1],)
    return names


_INTEGER_TYPES = {"int2", "int4", "int8", "smallint", "integer", "bigint"}
_DECIMAL_TYPES = {"numeric", "decimal", "float4", "float8", "real"}
_INTERVAL_UNITS = {
    "microsecond": 1,
    "millisecond": 1000,
    "second": 1_000_000,
    "minute": 60_000_000,
    "hour": 3_600_000_000,
    "day": -1,  # days and months are kept apart, as the interval type keeps them
    "week": -7,
    "month": -30,
    "year": -360,
}
_INTERVAL_ABBREVIATIONS = {
    "us": "microsecond",
    "usec": "microsecond",
    "ms": "millisecond",
    "msec": "millisecond",
    "s": "second",
    "sec": "second",
    "m": "minute",
    "min": "minute",
    "h": "hour",
    "hr": "hour",
    "d": "day",
    "w": "week",
    "mon": "month",
    "mons": "month",
    "y": "year",
    "yr": "year",
}
_CLOCK = re.compile(r"^(-?)(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?$")


# a number and its unit written together, several in a row: '10s', '1h30m' (convoy's function
# argument default `interval default '10s'`, stored '00:00:10'::interval)
_GLUED_UNIT = re.compile(r"(-?\d+(?:\.\d+)?)([a-z]+)")


# the only units PostgreSQL 15 reads when another number follows them glued ('1d2h', '1mon2d');
# '1w2d', '1hr30min', '1ms5us' are invalid input (review18), so they are not folded
_GLUED_BEFORE_DIGIT = frozenset({"d", "h", "m", "s", "y", "mon"})


def _glued_units_apart(words: list[str]) -> list[str]:
    """``words`` with each run of glued number-unit pairs ('1h30m') split into its numbers
    and units, as PostgreSQL's interval input reads them; other words as they are."""
    out: list[str] = []
    for word in words:
        pairs = _GLUED_UNIT.findall(word)
        if (
            pairs
            and "".join(n + u for n, u in pairs) == word
            and all(u in _GLUED_BEFORE_DIGIT for _, u in pairs[:-1])
        ):
            out += [piece for pair in pairs for piece in pair]
        else:
            out.append(word)
    return out


def _interval_parts(text: str) -> tuple[int, int, int] | None:
    """(months, days, microseconds) of an interval literal PostgreSQL's input accepts, for the
    common spellings ('0', '1 day', '24 hours', '01:30:00', '2 days 03:00'); None otherwise."""
    words = _glued_units_apart(text.strip().lower().removeprefix("@").split())
    if words and words[-1] == "ago":
        return None
    months = days = micros = 0
    i = 0
    if len(words) == 1 and re.fullmatch(r"-?\d+(\.\d+)?", words[0]):
        return (0, 0, round(float(words[0]) * 1_000_000))  # a bare number is seconds
    while i < len(words):
        clock = _CLOCK.match(words[i])
        if clock:
            sign = -1 if clock.group(1) else 1
            seconds = float(clock.group(4) or 0)
            micros += sign * (
                int(clock.group(2)) * 3_600_000_000
                + int(clock.group(3)) * 60_000_000
                + round(seconds * 1_000_000)
            )
            i += 1
            continue
        if i + 1 >= len(words) or not re.fullmatch(r"-?\d+(\.\d+)?", words[i]):
            return None
        number = float(words[i])
        unit = words[i + 1].rstrip(",")
        unit = _INTERVAL_ABBREVIATIONS.get(unit, unit)
        unit = unit[:-1] if unit.endswith("s") and unit[:-1] in _INTERVAL_UNITS else unit
        factor = _INTERVAL_UNITS.get(unit)
        if factor is None or (factor < 0 and number != int(number)):
            return None
        if factor in (-1, -7):
            days += int(number) * -factor
        elif factor in (-30, -360):
            months += int(number) * (-factor // 30)
        else:
            micros += round(number * factor)
        i += 2
    return (months, days, micros)


def fold_literal(base: str, const: ast.A_Const):
    """A string literal read as a value of type ``base``, the way PostgreSQL stores it:
    '1' as boolean is true, '-1' as integer is -1, '0' as interval is zero seconds."""
    text = const.val.sval
    value = text.strip()
    if base in ("bool", "boolean"):
        lowered = value.lower()
        if lowered in ("t", "true", "yes", "on", "1", "y"):
            return ast.A_Const(val=ast.Boolean(boolval=True))
        if lowered in ("f", "false", "no", "off", "0", "n"):
            return ast.A_Const(val=ast.Boolean(boolval=False))
    elif base in _INTEGER_TYPES and re.fullmatch(r"[+-]?\d+", value):
        return ast.A_Const(val=ast.Integer(ival=int(value)))
    elif base in _DECIMAL_TYPES and re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", value):
        if re.fullmatch(r"[+-]?\d+", value):
            return ast.A_Const(val=ast.Integer(ival=int(value)))
        return ast.A_Const(val=ast.Float(fval=value.lstrip("+")))
    elif base in _DECIMAL_TYPES and (folded := _exponent_const(value)) is not None:
        return folded
    elif base == "interval":
        parts = _interval_parts(value)
        if parts is not None:
            return ast.A_Const(val=ast.String(sval="@interval {} {} {}".format(*parts)))
    elif base in sqltime.TYPES:
        return ast.A_Const(val=ast.String(sval=sqltime.fold(base, value)))
    elif base == "jsonb":
        stored = canonical_jsonb(text)
        if stored is not None:
            return ast.A_Const(val=ast.String(sval=stored))
    elif base == "jsonpath":
        path = canonical_jsonpath(text)
        if path is not None:
            return ast.A_Const(val=ast.String(sval=path))
    elif base == "tsvector":
        stored = canonical_tsvector(text)
        if stored is not None:
            return ast.A_Const(val=ast.String(sval=stored))
    elif base == "bytea":
        stored = canonical_bytea(text)
        if stored is not None:
            return ast.A_Const(val=ast.String(sval=stored))
    return const


_EXPONENT = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?[eE]([+-]?\d+)")
_WIDE = Context(prec=3000)  # every digit of a number up to 1000 places from the point


def _exponent_const(text: str) -> ast.A_Const | None:
    """A number written with an exponent (``1e3``, ``'1.50e1'::numeric``) as PostgreSQL's
    numeric_in stores it: the value with ``max(0, digits after the point - exponent)``
    decimals (``1000``, ``15.0``), printed so (``'1000'::numeric``, ``15.0``); a float column's
    ``f > 1e3`` is stored ``f > ('1000'::numeric)::double precision``. None: not one."""
    m = _EXPONENT.fullmatch(text.strip())
    if m is None or not (m[2] or m[3]) or abs(int(m[4])) > 1000:
        return None
    scale = max(0, len(m[3] or "") - int(m[4]))
    value = Decimal(text.strip()).quantize(Decimal(1).scaleb(-scale), context=_WIDE)
    if scale == 0:
        return ast.A_Const(val=ast.Integer(ival=int(value)))
    return ast.A_Const(val=ast.Float(fval=format(value, "f")))


def _array_literal(text: str) -> str:
    """'{state, current}' as the array input stores it, '{state,current}' (unquoted elements trimmed)."""
    body = text.strip()
    if not (body.startswith("{") and body.endswith("}")) or "{" in body[1:-1]:
        return text
    items, current, quoted, i = [], [], False, 1
    while i < len(body) - 1:
        ch = body[i]
        if ch == "\\" and i + 1 < len(body) - 1:
            current.append(body[i : i + 2])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    items.append("".join(current).strip())
    if items == [""]:
        return "{}"
    return "{" + ",".join(_array_item(item) for item in items) + "}"


# what makes array_out quote an element (besides being empty or NULL): array_isspace's blanks,
# the delimiter, braces, quotes and backslashes
_ARRAY_QUOTED_CHARS = frozenset('{},"\\ \t\n\r\v\f')


def _array_item(item: str) -> str:
    """One element as array_out prints it: a quoted element whose text needs no quotes is
    printed bare ('{"tags"}' is stored '{tags}'); anything else as written."""
    if len(item) < 2 or not (item.startswith('"') and item.endswith('"')):
        return item
    inner = item[1:-1]
    if '"' in inner or "\\" in inner:
        return item  # escapes: kept as written (a difference at worst, never an equality)
    if not inner or inner.lower() == "null" or any(ch in _ARRAY_QUOTED_CHARS for ch in inner):
        return item
    return inner


# Built-in type names a person may write bare (x::bool): the parser's own pg_catalog spelling.
_INTERNAL_TYPE_NAMES = {
    "bool": "bool",
    "int2": "int2",
    "int4": "int4",
    "int8": "int8",
    "float4": "float4",
    "float8": "float8",
    "varchar": "varchar",
    "bpchar": "bpchar",
    "timestamptz": "timestamptz",
    "timetz": "timetz",
    "decimal": "numeric",
}


_COMPARISONS = {
    "=",
    "<>",
    "!=",
    "<",
    ">",
    "<=",
    ">=",
    "~~",
    "!~~",
    "~~*",
    "!~~*",
    "~",
    "!~",
    "~*",
    "!~*",
}


def _is_boolean_valued(node: object) -> bool:
    """An expression whose type is boolean whatever its operands (comparisons, AND/OR/NOT, IS …)."""
    if isinstance(node, ast.BoolExpr | ast.NullTest | ast.BooleanTest):
        return True
    if isinstance(node, ast.SubLink):
        return node.subLinkType in (0, 1, 2, 3)  # EXISTS, ALL, ANY, row comparison
    if isinstance(node, ast.A_Expr):
        op = node.name[-1].sval if node.name else ""
        if node.kind in (A_Expr_Kind.AEXPR_OP, A_Expr_Kind.AEXPR_NULLIF):
            return node.kind == A_Expr_Kind.AEXPR_OP and op in _COMPARISONS
        return True
    return isinstance(node, ast.A_Const) and isinstance(node.val, ast.Boolean)


# operators whose result is text whatever their operands (json / jsonb field and path as text)
_TEXT_OPERATORS = frozenset({"->>", "#>>"})


def _is_text_valued(node: object) -> bool:
    """An expression whose type is text by its operator alone (``j ->> 'k'``, ``j #>> '{a}'``),
    or a COALESCE of such expressions and bare literals (kestra's generated columns:
    ``COALESCE(CAST(value ->> 'taskId' AS varchar), '')`` is stored with a cast to text)."""
    if isinstance(node, ast.CoalesceExpr):
        args = node.args or ()
        return any(_is_text_valued(a) for a in args) and all(
            _is_text_valued(a) or _is_string_const(a) for a in args
        )
    return (
        isinstance(node, ast.A_Expr)
        and node.kind == A_Expr_Kind.AEXPR_OP
        and bool(node.name)
        and node.name[-1].sval in _TEXT_OPERATORS
    )


# what a call returns (pg_catalog's, no arguments) and what a SQL value function is: a cast
# to that very type is none, and PostgreSQL stores none (``now()::timestamptz`` is ``now()``,
# ``CURRENT_DATE::date`` ``CURRENT_DATE``)
_CALL_TYPES = {
    "now": "timestamptz",
    "clock_timestamp": "timestamptz",
    "statement_timestamp": "timestamptz",
    "transaction_timestamp": "timestamptz",
    "gen_random_uuid": "uuid",
}
_VALUE_TYPES = {
    "SVFOP_CURRENT_DATE": "date",
    "SVFOP_CURRENT_TIME": "timetz",
    "SVFOP_CURRENT_TIMESTAMP": "timestamptz",
    "SVFOP_LOCALTIME": "time",
    "SVFOP_LOCALTIMESTAMP": "timestamp",
}


def _returns(node: object) -> str | None:
    """The type a call without arguments or a SQL value function is known to return."""
    if isinstance(node, ast.SQLValueFunction):
        return _VALUE_TYPES.get(getattr(node.op, "name", ""))
    if isinstance(node, ast.FuncCall) and not node.args and not node.agg_star and not node.over:
        names = [n.sval for n in node.funcname]
        if len(names) == 1 or names[0] == "pg_catalog":
            return _CALL_TYPES.get(names[-1])
    return None


def _strip_cast(node: ast.TypeCast):
    """Drop casts the catalog adds that do not change meaning."""
    base = _type_base(node.typeName)
    arg = node.arg
    if not node.typeName.typmods and not node.typeName.arrayBounds and _returns(arg) == base:
        return arg  # a cast to the type the value has: PostgreSQL stores the value alone
    if base in _REG_TYPES and _is_string_const(arg) and not node.typeName.arrayBounds:
        # 'public.t_id_seq'::regclass and 't_id_seq'::regclass name the same relation
        arg.val = ast.String(sval=canonical_relation_literal(arg.val.sval))
        return arg
    if node.typeName.arrayBounds:
        if _is_string_const(arg):
            arg.val = ast.String(sval=_array_literal(arg.val.sval))
            return arg
        if isinstance(arg, ast.A_ArrayExpr):
            return arg  # ARRAY[…]::text[] and '{}'::text[]: the column's array type, spelled out
        return node
    if isinstance(arg, ast.A_Const) and arg.isnull:
        return arg  # NULL::character varying is the NULL a person writes
    if base in ("bool", "boolean") and _is_boolean_valued(arg):
        return arg  # CAST(a = b AS bool): PostgreSQL drops a cast that changes nothing
    if _is_string_const(arg):
        # '0'::numeric, 'x'::text, '2024-01-01'::date: the catalog spells out the literal's
        # coercion to the column or operand type; a person writes the bare literal.
        return fold_literal(base, arg)
    if _is_numeric_const(arg) and base in _NUMERIC:
        return arg
    if isinstance(arg, ast.ColumnRef) and base in _TEXTLIKE and not node.typeName.typmods:
        return arg
    if base in ("text", "varchar") and not node.typeName.typmods and _is_text_valued(arg):
        # f(j->>'k') with f(s varchar) is stored f(((j ->> 'k'::text))::character varying):
        # the catalog prints a function argument's implicit cast; text relabelled as
        # unbounded varchar is the same value (temporalio/temporal's generated columns).
        return arg
    if (
        isinstance(arg, ast.A_Const)
        and isinstance(arg.val, ast.Boolean)
        and base in ("bool", "boolean")
    ):
        return arg
    return node


def _grouping_items(items: tuple) -> tuple:
    """``GROUP BY (a, b)``: a parenthesized list there is its items (PostgreSQL stores and
    prints ``GROUP BY a, b``; hashicorp/boundary's kms view), not the row ``ROW(a, b)``."""
    out: list = []
    for item in items:
        if (
            isinstance(item, ast.RowExpr)
            and item.row_format == CoercionForm.COERCE_IMPLICIT_CAST
            and len(item.args or ()) > 1
        ):
            out.extend(item.args)
        else:
            out.append(item)
    return tuple(out)


def _normalize(node):
    """Rewrite a pglast expression tree bottom-up into the canonical shape."""
    if isinstance(node, tuple | list):
        return tuple(_normalize(n) for n in node)
    if not isinstance(node, ast.Node):
        return node
    if isinstance(node, ast.SelectStmt) and node.groupClause:
        node.groupClause = _grouping_items(node.groupClause)
    for slot in type(node).__slots__:
        if slot == "location":
            continue
        value = getattr(node, slot, None)
        if isinstance(value, ast.Node | tuple | list):
            setattr(node, slot, _normalize(value))
    if hasattr(node, "location"):
        node.location = None
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.Float):
        return _exponent_const(node.val.fval or "") or node  # 1e3 is the numeric 1000
    if isinstance(node, ast.RowExpr) and len(node.args or ()) > 1:
        node.row_format = CoercionForm.COERCE_EXPLICIT_CALL  # (a, b) is ROW(a, b), as printed
        return node
    if isinstance(node, ast.TypeName):
        node.names = _home_names(node.names)
        if len(node.names) == 1 and node.names[0].sval in _INTERNAL_TYPE_NAMES:
            internal = _INTERNAL_TYPE_NAMES[node.names[0].sval]
            node.names = (ast.String(sval="pg_catalog"), ast.String(sval=internal))
        return node
    if isinstance(node, ast.RangeVar):
        if node.schemaname == _HOME_SCHEMA:
            node.schemaname = None
        return node
    if isinstance(node, ast.TypeCast):
        return _strip_cast(node)
    if isinstance(node, ast.FuncCall):
        node.funcname = _home_names(node.funcname)
        names = [n.sval for n in node.funcname]
        if len(names) == 2 and names[0] == "pg_catalog":
            node.funcname = (ast.String(sval=names[1]),)
        if names[-1] in _JSONPATH_FUNCS and len(node.args or ()) > 1:
            node.args = (node.args[0], _as_jsonpath(node.args[1]), *node.args[2:])
        if names[-1] in _REGCLASS_FUNCS and node.args and _is_string_const(node.args[0]):
            first = node.args[0]
            first.val = ast.String(sval=canonical_relation_literal(first.val.sval))
        if node.funcformat == CoercionForm.COERCE_SQL_SYNTAX and names[-1] in (
            "btrim",
            "ltrim",
            "rtrim",
        ):
            node.funcformat = CoercionForm.COERCE_EXPLICIT_CALL
        return node
    if isinstance(node, ast.A_Expr):
        if node.name and len(node.name) == 1 and getattr(node.name[0], "sval", None) == "@?":
            node.rexpr = _as_jsonpath(node.rexpr)  # jsonb @? jsonpath
        _as_text_array(node)
        return _normalize_a_expr(node)
    if isinstance(node, ast.CaseExpr):
        _untyped_null_branches(node)
        if isinstance(node.defresult, ast.A_Const) and node.defresult.isnull:
            node.defresult = None  # a CASE without ELSE is stored `ELSE NULL::<its type>`
        return node
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


# functions whose second argument is a jsonpath (a bare literal there is one, stored cast)
_JSONPATH_FUNCS = frozenset(
    f"jsonb_path_{name}{tz}"
    for name in ("exists", "match", "query", "query_array", "query_first")
    for tz in ("", "_tz")
)


def _is_null(node) -> bool:
    while isinstance(node, ast.TypeCast):
        node = node.arg
    return isinstance(node, ast.A_Const) and bool(node.isnull)


def _untyped_null_branches(node: ast.CaseExpr) -> None:
    """A CASE's ``NULL::jsonb[]`` branch as the bare NULL written, when another branch is not
    NULL: PostgreSQL types the NULL with the CASE's type, which that branch fixes and which is
    compared there (stack-auth/stack-auth's generated jsonb[] column: `THEN NULL`, stored
    `THEN NULL::jsonb[]`). Two NULL branches of different casts stay as written."""
    results = [w.result for w in node.args or () if isinstance(w, ast.CaseWhen)]
    results.append(node.defresult)
    if all(r is None or _is_null(r) for r in results):
        return
    for when in node.args or ():
        if isinstance(when, ast.CaseWhen) and _is_null(when.result):
            when.result = ast.A_Const(isnull=True)
    if node.defresult is not None and _is_null(node.defresult):
        node.defresult = ast.A_Const(isnull=True)


# json / jsonb (and hstore) operators whose right operand is a text[]: a bare literal there is
# stored as that array, '{state, current}' as '{state,current}'::text[] (kestra's generated
# columns `value #>> '{state, current}'`)
_TEXT_ARRAY_OPERATORS = frozenset({"#>", "#>>", "#-", "?|", "?&"})


def _as_text_array(node: ast.A_Expr) -> None:
    """A bare string literal right of a path or key-list operator in its array input's form."""
    if (
        node.kind == A_Expr_Kind.AEXPR_OP
        and node.lexpr is not None
        and node.name
        and len(node.name) == 1
        and getattr(node.name[0], "sval", None) in _TEXT_ARRAY_OPERATORS
        and _is_string_const(node.rexpr)
    ):
        node.rexpr.val = ast.String(sval=_array_literal(node.rexpr.val.sval))


def _as_jsonpath(node):
    """A bare string literal where a jsonpath goes, in jsonpath's one form (``jsonpathtext``)."""
    if _is_string_const(node):
        return fold_literal("jsonpath", node)
    return node


def _in_list(op: str, left, elements: tuple):
    """``x IN (a, b)`` (``<>``: NOT IN); with one element PostgreSQL stores ``x = a``
    (``x <> a``): transformAExprIn makes a plain operator of a one-item list."""
    if len(elements) == 1:
        return _op(op, left, elements[0])
    return ast.A_Expr(
        kind=A_Expr_Kind.AEXPR_IN, name=(ast.String(sval=op),), lexpr=left, rexpr=elements
    )


def _normalize_a_expr(node: ast.A_Expr):
    op = node.name[-1].sval if node.name else None
    by_column = _row_comparison(node, op)
    if by_column is not None:
        return by_column
    if (
        node.kind == A_Expr_Kind.AEXPR_OP_ANY
        and op == "="
        and isinstance(node.rexpr, ast.A_ArrayExpr)
    ):
        return _in_list("=", node.lexpr, tuple(node.rexpr.elements))
    if (
        node.kind == A_Expr_Kind.AEXPR_OP_ALL
        and op == "<>"
        and isinstance(node.rexpr, ast.A_ArrayExpr)
    ):
        return _in_list("<>", node.lexpr, tuple(node.rexpr.elements))
    if (
        node.kind == A_Expr_Kind.AEXPR_IN
        and op in ("=", "<>")
        and isinstance(node.rexpr, list | tuple)
        and len(node.rexpr) == 1
    ):
        return _op(op, node.lexpr, node.rexpr[0])
    if node.kind in (A_Expr_Kind.AEXPR_BETWEEN, A_Expr_Kind.AEXPR_NOT_BETWEEN):
        low, high = node.rexpr
        if node.kind == A_Expr_Kind.AEXPR_BETWEEN:
            parts = (_op(">=", node.lexpr, low), _op("<=", node.lexpr, high))
            return ast.BoolExpr(boolop=BoolExprType.AND_EXPR, args=parts)
        parts = (_op("<", node.lexpr, low), _op(">", node.lexpr, high))
        return ast.BoolExpr(boolop=BoolExprType.OR_EXPR, args=parts)
    if node.kind in (A_Expr_Kind.AEXPR_BETWEEN_SYM, A_Expr_Kind.AEXPR_NOT_BETWEEN_SYM):
        # stored as both orders: ((x >= a AND x <= b) OR (x >= b AND x <= a)), NOT: the negation
        low, high = node.rexpr
        inside = node.kind == A_Expr_Kind.AEXPR_BETWEEN_SYM
        ops, inner, outer = (
            ((">=", "<="), BoolExprType.AND_EXPR, BoolExprType.OR_EXPR)
            if inside
            else (("<", ">"), BoolExprType.OR_EXPR, BoolExprType.AND_EXPR)
        )
        halves = tuple(
            ast.BoolExpr(
                boolop=inner, args=(_op(ops[0], node.lexpr, a), _op(ops[1], node.lexpr, b))
            )
            for a, b in ((low, high), (high, low))
        )
        return ast.BoolExpr(boolop=outer, args=halves)
    if node.kind in (A_Expr_Kind.AEXPR_LIKE, A_Expr_Kind.AEXPR_ILIKE, A_Expr_Kind.AEXPR_SIMILAR):
        # x LIKE 'a%' is stored as x ~~ 'a%' (ILIKE ~~*, SIMILAR TO ~ similar_to_escape(…))
        node.kind = A_Expr_Kind.AEXPR_OP
    if node.name and len(node.name) == 2 and node.name[0].sval == "pg_catalog":
        node.name = (node.name[1],)
    return node


def _row_comparison(node: ast.A_Expr, op: str | None):
    """Two rows of one length compared with ``=``, ``<>``, IS [NOT] DISTINCT FROM, as
    PostgreSQL's parser stores them, column by column (make_row_comparison_op,
    make_row_distinct_op): ``ROW(a, b) = ROW(c, d)`` is ``((a = c) AND (b = d))``, ``<>`` the
    OR of ``<>``, IS DISTINCT FROM the OR of each column's, IS NOT DISTINCT FROM its NOT
    (a trigger's ``WHEN (ROW(old.*) IS DISTINCT FROM ROW(new.*))``). Other operators (``<``)
    stay rows, as stored; None: not such a comparison."""
    left, right = node.lexpr, node.rexpr
    if not (isinstance(left, ast.RowExpr) and isinstance(right, ast.RowExpr)):
        return None
    pairs = list(zip(left.args or (), right.args or (), strict=False))
    if not pairs or len(left.args) != len(right.args):
        return None
    if any(isinstance(item, ast.RowExpr) for pair in pairs for item in pair):
        return None  # a row of rows: left as written
    distinct = node.kind in (A_Expr_Kind.AEXPR_DISTINCT, A_Expr_Kind.AEXPR_NOT_DISTINCT)
    if distinct:
        parts = [
            ast.A_Expr(kind=A_Expr_Kind.AEXPR_DISTINCT, name=node.name, lexpr=a, rexpr=b)
            for a, b in pairs
        ]
    elif node.kind == A_Expr_Kind.AEXPR_OP and op in ("=", "<>"):
        parts = [_op(op, a, b) for a, b in pairs]
    else:
        return None
    joined = ast.BoolExpr(
        boolop=BoolExprType.AND_EXPR if op == "=" and not distinct else BoolExprType.OR_EXPR,
        args=tuple(parts),
    )
    result = parts[0] if len(parts) == 1 else joined
    if node.kind == A_Expr_Kind.AEXPR_NOT_DISTINCT:
        return ast.BoolExpr(boolop=BoolExprType.NOT_EXPR, args=(result,))
    return result


def _op(name: str, left, right):
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
        if "select" in source.lower():
            _drop_default_aliases(stmt.targetList[0].val)  # before casts are stripped
        node = _normalize(stmt.targetList[0].val)
        _drop_unambiguous_qualifiers(node)
        return one_line(deparse(node))
    except Exception:  # a broken expression must not crash an audit
        return _fallback(source)


def _drop_default_aliases(node) -> None:
    """``(SELECT auth.uid() AS uid)`` → ``(SELECT auth.uid())``.

    PostgreSQL stores a subquery's output column with the name it would have anyway (the
    function's or the column's name: FigureColname); a migration writes it bare. An alias is
    dropped only when it is that very name, so nothing that reads it can tell the difference.
    """
    for select in find_all(node, ast.SelectStmt):
        for target in select.targetList or ():
            named = isinstance(target, ast.ResTarget) and target.name is not None
            if named and target.name == _default_column_name(target.val):
                target.name = None


def _default_column_name(node) -> str | None:
    """The output name PostgreSQL gives an unaliased target (its FigureColname), for the
    shapes a policy's subquery has; None for a shape not followed here (its alias is kept)."""
    name, strength = _figure(node)
    if strength == 0 and _plain(node):
        return "?column?"
    return name


def _plain(node) -> bool:
    """An operator expression or a literal: FigureColname names it ``?column?``."""
    return isinstance(node, ast.A_Const) or (
        isinstance(node, ast.A_Expr) and node.kind != A_Expr_Kind.AEXPR_NULLIF
    )


def _figure(node) -> tuple[str | None, int]:
    """FigureColnameInternal's (name, strength) for columns, calls, casts, CASE, COALESCE."""
    if isinstance(node, ast.ColumnRef) and node.fields:
        last = node.fields[-1]
        return (last.sval, 2) if isinstance(last, ast.String) else (None, 0)
    if isinstance(node, ast.FuncCall) and node.funcname:
        return node.funcname[-1].sval, 2
    if isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_NULLIF:
        return "nullif", 2
    if isinstance(node, ast.CaseExpr):
        return "case", 1
    if isinstance(node, ast.CoalesceExpr):
        return "coalesce", 2
    if isinstance(node, ast.A_Indirection):  # (f(x)).name: its last field's name
        fields = [i.sval for i in node.indirection or () if isinstance(i, ast.String)]
        return (fields[-1], 2) if fields else _figure(node.arg)
    if isinstance(node, ast.TypeCast):
        name, strength = _figure(node.arg)
        if strength <= 1 and node.typeName is not None and node.typeName.names:
            return node.typeName.names[-1].sval, 1
        return name, strength
    return None, 0


def _drop_unambiguous_qualifiers(node) -> None:
    """``account.id = document.account_id`` → ``id = account_id``.

    PostgreSQL's deparser qualifies every column of a query over several relations (a policy's
    subquery); a migration rarely does. A qualifier is dropped only where it never tells two
    columns apart: when a column name appears under two different qualifiers in the expression
    (``a.id = b.id``), or also bare (``id = b.id``), every mention of it keeps its qualifier.
    """
    refs: list[ast.ColumnRef] = find_all(node, ast.ColumnRef)
    qualifiers: dict[str, set[str]] = {}
    for ref in refs:
        fields = ref.fields or ()
        if len(fields) == 2 and all(isinstance(f, ast.String) for f in fields):
            qualifiers.setdefault(fields[1].sval, set()).add(fields[0].sval)
        elif len(fields) == 1 and isinstance(fields[0], ast.String):
            qualifiers.setdefault(fields[0].sval, set()).add("")  # mentioned bare too: keep all
    for ref in refs:
        fields = ref.fields or ()
        if (
            len(fields) == 2
            and all(isinstance(f, ast.String) for f in fields)
            and len(qualifiers.get(fields[1].sval, ())) == 1
        ):
            ref.fields = (fields[1],)


@functools.lru_cache(maxsize=1024)
def canonical_statements(text: str) -> str | None:
    """A function body of SQL statements in one spelling (None when it does not parse).

    Each statement goes through PostgreSQL's grammar and the same normalisation as
    expressions, so whitespace, comments, keyword case and the catalog's decorations do
    not make two bodies differ, while any change of meaning does.
    """
    try:
        statements = parse_sql(text)
    except Exception:
        return None
    out = []
    for raw in statements:
        node = _normalize(raw.stmt)
        out.append(one_line(deparse(node)))
    return "; ".join(out)


def exprs_equal(a: str | None, b: str | None) -> bool:
    """True when both are absent or both canonicalize to the same string."""
    if a is None or b is None:
        return (a is None or not str(a).strip()) and (b is None or not str(b).strip())
    a, b = str(a), str(b)
    return a == b or canonical_expr(a) == canonical_expr(b)  # equal text: no parse needed


def is_null_expr(text: str) -> bool:
    """Whether ``text`` is a NULL, cast or not (``NULL``, ``NULL::uuid[]``)."""
    if "null" not in text.lower():
        return False
    try:
        stmt = parse_sql(f"SELECT {text}")[0].stmt
    except Exception:  # noqa: BLE001 - not an expression: not a NULL
        return False
    targets = getattr(stmt, "targetList", None) or ()
    return len(targets) == 1 and _is_null(targets[0].val)


def argument_default(text: str) -> str:
    """A function argument's DEFAULT as compared: PostgreSQL coerces it to the parameter's
    type, which the signature states, and prints `DEFAULT NULL` as ``NULL::uuid[]``, so a
    NULL is "NULL" whatever its cast (mckaywrigley/chatbot-ui's `file_ids UUID[] DEFAULT
    null`)."""
    return "NULL" if is_null_expr(text) else canonical_expr(text)


def normalize_default(text: str | None, column_type: str | None = None) -> str | None:
    """Canonical default; a ``NULL`` default is the same as none.

    With the column's type, an untyped string literal is read as a value of that type, as
    PostgreSQL stores it: ``boolean DEFAULT '1'`` is ``true``, ``integer DEFAULT '0'`` is ``0``.
    """
    if text is None:
        return None
    source = str(text)
    if column_type and _is_bare_string(source):
        try:
            type_name = canonical_type(column_type)
        except ValueError:
            type_name = None
        if type_name is not None:
            source = f"{source.strip()}::{column_type}"
    canonical = canonical_expr(source)
    return None if canonical in ("", "NULL") else canonical


@functools.lru_cache(maxsize=4096)
def _is_bare_string(text: str) -> bool:
    try:
        statements = parse_sql(f"SELECT {text}")
    except Exception:
        return False
    stmt = statements[0].stmt
    return (
        len(statements) == 1
        and isinstance(stmt, ast.SelectStmt)
        and stmt.targetList is not None
        and len(stmt.targetList) == 1
        and _is_string_const(stmt.targetList[0].val)
    )


@functools.lru_cache(maxsize=1024)
def canonical_query(text: str, loose: bool = False) -> str:
    """A view's query in one spelling: ``pg_get_viewdef``'s text and a migration's compare
    equal when PostgreSQL would store the same query (never raises).

    Beyond the expression rules: an output name a column gets anyway is dropped (``count(*)
    AS count``), as are the names of a UNION's later branches (the first branch names the
    columns); ``ORDER BY 2`` / ``GROUP BY 1`` are the target they number (PostgreSQL stores
    the expression); a query over a single relation loses the relation's name on its columns
    (PostgreSQL 16+ prints them bare, 15 qualified). Qualifiers in a query over several
    relations stay: which relation a column comes from is part of the meaning.
    """
    source = text.strip().rstrip(";").strip()
    if not source:
        return ""
    try:
        tree = query_tree(source, loose)
        return _fallback(source) if tree is None else one_line(deparse(tree))
    except Exception:  # a broken query must not crash an audit
        return _fallback(source)


def query_tree(source: str, loose: bool = False, before: Callable | None = None):
    """``canonical_query``'s tree of ``source`` (None when it is not one SELECT); ``before``
    rewrites the parsed tree first (``viewtext``'s marked literals). May raise."""
    statements = parse_sql(source)
    if len(statements) != 1 or not isinstance(statements[0].stmt, ast.SelectStmt):
        return None
    tree = statements[0].stmt
    if before is not None:
        tree = before(tree)
    selects: list[ast.SelectStmt] = find_all(tree, ast.SelectStmt)
    for select in selects:
        _ordinals_to_targets(select)
        if select.op and select.rarg is not None:
            _drop_branch_names(select.rarg)
    _drop_default_aliases(tree)
    _catalog_spelling(tree)
    tree = _normalize(tree)
    if loose:
        tree = without_casts(tree)
    relations = find_all(tree, ast.RangeVar)
    selects = find_all(tree, ast.SelectStmt)
    if len(relations) == 1 and len(selects) == 1:
        rv = relations[0]
        name = rv.alias.aliasname if rv.alias is not None else rv.relname
        for ref in find_all(tree, ast.ColumnRef):
            fields = ref.fields or ()
            if len(fields) == 2 and getattr(fields[0], "sval", None) == name:
                ref.fields = (fields[1],)
    elif len(selects) > 1:
        for select in selects:
            _own_relation_bare(select)
    return tree


def _own_relation_bare(select: ast.SelectStmt) -> None:
    """In a query with sub-selects, each SELECT over one plain relation loses that relation's
    name on its own columns (not on those of the SELECTs inside it): a bare name there
    resolves to that relation first, so the meaning is kept. graph-node's `info.wraparound`
    view: `(select setting::int from pg_settings where name = …)` is stored
    `( SELECT pg_settings.setting::integer AS setting FROM pg_settings WHERE
    pg_settings.name = …)`."""
    from_items = select.fromClause or ()
    if len(from_items) != 1 or not isinstance(from_items[0], ast.RangeVar):
        return
    rv = from_items[0]
    name = rv.alias.aliasname if rv.alias is not None else rv.relname
    inner = {
        id(ref)
        for sub in find_all(select, ast.SelectStmt)
        if sub is not select
        for ref in find_all(sub, ast.ColumnRef)
    }
    for ref in find_all(select, ast.ColumnRef):
        fields = ref.fields or ()
        if id(ref) not in inner and len(fields) == 2 and getattr(fields[0], "sval", None) == name:
            ref.fields = (fields[1],)


def _catalog_spelling(tree) -> None:
    """What ``pg_get_viewdef`` writes otherwise without a change of meaning: ``LATERAL``
    before a function in FROM (such a function sees the items before it either way; the
    catalog says LATERAL where it reads them), and pg_catalog's qualifier on a relation or a
    collation (pg_catalog is searched first; the catalog prints ``pg_class``, ``COLLATE
    "default"``): hashicorp/boundary's views."""
    for function in find_all(tree, ast.RangeFunction):
        function.lateral = False
    for relation in find_all(tree, ast.RangeVar):
        if relation.schemaname == "pg_catalog":
            relation.schemaname = None
    for clause in find_all(tree, ast.CollateClause):
        names = clause.collname or ()
        if len(names) == 2 and getattr(names[0], "sval", None) == "pg_catalog":
            clause.collname = names[1:]


def without_casts(node, dropped: Callable[[Any], bool] | None = None):
    """``node`` with each ``x::type`` replaced by ``x``; with ``dropped``, only the casts
    it accepts (a domain's CHECK drops VALUE's cast to the base type alone: domaincheck)."""
    if isinstance(node, tuple | list):
        return tuple(without_casts(n, dropped) for n in node)
    if not isinstance(node, ast.Node):
        return node
    while (
        isinstance(node, ast.TypeCast)
        and node.arg is not None
        and (dropped is None or dropped(node))
    ):
        node = node.arg
    for slot in type(node).__slots__:
        value = getattr(node, slot, None)
        if slot != "location" and isinstance(value, ast.Node | tuple | list):
            setattr(node, slot, without_casts(value, dropped))
    return node


def _ordinals_to_targets(select: ast.SelectStmt) -> None:
    targets = select.targetList or ()
    if not targets or select.op:
        return

    def target(node):
        if (
            isinstance(node, ast.A_Const)
            and isinstance(node.val, ast.Integer)
            and 1 <= node.val.ival <= len(targets)
            and isinstance(targets[node.val.ival - 1], ast.ResTarget)
        ):
            return copy.deepcopy(targets[node.val.ival - 1].val)
        return node

    for sort in select.sortClause or ():
        if isinstance(sort, ast.SortBy):
            sort.node = target(sort.node)
    if select.groupClause:
        select.groupClause = tuple(target(g) for g in select.groupClause)


def _drop_branch_names(node) -> None:
    """A UNION / INTERSECT / EXCEPT branch after the first: its output names name nothing."""
    if isinstance(node, ast.SelectStmt) and node.op and node.larg is not None:
        _drop_branch_names(node.larg)
        _drop_branch_names(node.rarg)
        return
    if isinstance(node, ast.SelectStmt):
        for target in node.targetList or ():
            if isinstance(target, ast.ResTarget):
                target.name = None
