"""A partition key expression PostgreSQL refuses: one calling a function not IMMUTABLE.

PostgreSQL 15 refuses ``PARTITION BY RANGE ((date_trunc('day', at)))`` when ``at`` is a
``timestamptz`` ("functions in partition key expression must be marked IMMUTABLE": that
overload depends on the TimeZone setting), and accepts the same key over a ``timestamp``. The
static reading created both tables, so a spec requiring the first PASSed a history no
PostgreSQL 15 database is built from (confirmed with psql; fidelity12's notes).

Whether a call is immutable depends on the overload PostgreSQL chooses, so on the types of
its arguments. The expression is refused here only where that is certain, never on a guess
(a wrong refusal would be a false FAIL): a built-in name every overload of which is not
immutable (``now()``, ``random()``); a built-in call, operator or cast whose argument types
are known (a column of a built-in type, a literal, a cast) and whose every overload matching
them exactly is not immutable (``date_trunc(text, timestamptz)``, ``timestamptz + interval``,
``timestamptz::date``, ``timestamptz::text``); ``CURRENT_DATE`` and its kin; a function of the
history's that is not IMMUTABLE and not SQL. A non-immutable SQL-language function is left
alone: PostgreSQL inlines such a function before it checks, and accepts one whose body is
immutable. Anything else (a domain column, an unknown argument type, an overload reached
only by coercion) is taken as PostgreSQL accepting it, as before.

The table of PostgreSQL 15's volatilities is ``pg_catalog_volatility.txt``, read only when a
partition key holds an expression.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import A_Expr_Kind

from schema_audit.pgvisit import find_all
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.nodes import strings
from schema_audit.sqlnorm import format_typename

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

MESSAGE = "functions in partition key expression must be marked IMMUTABLE"

_TEXTUAL = frozenset({"text", "character varying", "character", "name"})
_TYPMOD = re.compile(r"\(\d+(?:,\d+)?\)")


class _Catalog:
    """PostgreSQL 15's overloads of the names that have a non-immutable one."""

    def __init__(self, text: str) -> None:
        # name -> [(argument types, has defaults/variadic, result, volatility)]
        self.functions: dict[str, list[tuple[tuple[str, ...], bool, str, str]]] = {}
        self.operators: dict[str, list[tuple[str, str, str, str]]] = {}
        self.casts: dict[tuple[str, str], str] = {}
        self.io: dict[str, tuple[str, str]] = {}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            row = line.split("\t")
            if row[0] == "f":
                args = tuple(row[2].split(",")) if row[2] else ()
                self.functions.setdefault(row[1], []).append((args, row[3] == "*", row[4], row[5]))
            elif row[0] == "o":
                self.operators.setdefault(row[1], []).append((row[2], row[3], row[4], row[5]))
            elif row[0] == "c":
                self.casts[row[1], row[2]] = row[3]
            elif row[0] == "io":
                self.io[row[1]] = (row[2], row[3])


@cache
def _catalog() -> _Catalog:
    return _Catalog(
        Path(__file__).with_name("pg_catalog_volatility.txt").read_text(encoding="utf-8")
    )


def never_modifies(name: str) -> bool:
    """Whether every overload of PostgreSQL 15's built-in function ``name`` is IMMUTABLE or
    STABLE, which PostgreSQL lets modify nothing (a name the table lacks has only IMMUTABLE
    overloads; the caller knows it is a built-in). A DO block's guard may call such a
    function (plpgsql._only_guards)."""
    return all(row[3] in ("i", "s") for row in _catalog().functions.get(name, ()))


def refuse_partition_key(
    interp: DdlInterpreter, spec: ast.PartitionSpec, columns: dict[str, str]
) -> None:
    """ApplyError when an expression of ``spec`` certainly calls a function that is not
    IMMUTABLE; ``columns`` maps the table's column names to their ``format_type`` types."""
    for elem in spec.partParams or ():
        if elem.expr is not None and _Reading(interp, columns).mutable(elem.expr):
            raise ApplyError(MESSAGE, "invalid_object_definition")


class _Reading:
    """Types and certain volatility of one expression's nodes."""

    def __init__(self, interp: DdlInterpreter, columns: dict[str, str]) -> None:
        self.interp = interp
        self.columns = {name: _TYPMOD.sub("", t) for name, t in columns.items()}
        self.catalog = _catalog()

    def mutable(self, expr: ast.Node) -> bool:
        nodes = find_all(expr, ast.FuncCall, ast.A_Expr, ast.TypeCast, ast.SQLValueFunction)
        return any(self.typed(node)[1] for node in nodes)

    def typed(self, node: object) -> tuple[str | None, bool]:
        """(the node's type, or None when not known; whether it is certainly not immutable).
        A string literal's type is "unknown", as the parser holds it."""
        if isinstance(node, ast.ColumnRef):
            names = strings(node.fields)
            return self.columns.get(names[-1]) if len(names) == 1 else None, False
        if isinstance(node, ast.A_Const):
            value = node.val
            if isinstance(value, ast.String):
                return "unknown", False
            if isinstance(value, ast.Integer):
                return "integer", False
            if isinstance(value, ast.Float):
                return "numeric", False
            if isinstance(value, ast.Boolean):
                return "boolean", False
            return None, False
        if isinstance(node, ast.SQLValueFunction):
            return None, True  # CURRENT_DATE, CURRENT_USER, …: all stable
        if isinstance(node, ast.TypeCast):
            return self._cast(node)
        if isinstance(node, ast.FuncCall):
            return self._call(node)
        if isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_OP:
            return self._operator(node)
        return None, False

    def _cast(self, node: ast.TypeCast) -> tuple[str | None, bool]:
        if node.typeName is None:
            return None, False
        target = _TYPMOD.sub("", format_typename(node.typeName))
        source, _ = self.typed(node.arg)
        if source in (None, "unknown", target):
            return target, False  # a literal's cast is made once, when the key is read
        method = self.catalog.casts.get((source, target))
        if method in ("s", "v"):
            return target, True
        if method == "io" or (method is None and (target in _TEXTUAL or source in _TEXTUAL)):
            if method is None and target in _TEXTUAL and source in _TEXTUAL:
                return target, False
            source_io = self.catalog.io.get(source, ("i", "i"))
            target_io = self.catalog.io.get(target, ("i", "i"))
            return target, source_io[1] != "i" or target_io[0] != "i"
        return target, False

    def _call(self, node: ast.FuncCall) -> tuple[str | None, bool]:
        names = strings(node.funcname)
        name = names[-1]
        if len(names) > 1 and names[-2] != "pg_catalog":
            return None, self._history_mutable(name, names[-2])
        mine = self.interp.model.functions_named(name)
        overloads = self.catalog.functions.get(name)
        if mine:
            return None, not overloads and self._history_mutable(name, None)
        if not overloads:
            return None, False
        if all(v not in ("i", "?") for _, _, _, v in overloads):
            return None, True  # every overload is not immutable: whichever is chosen
        if any(star for _, star, _, _ in overloads) or node.agg_star or node.func_variadic:
            return None, False
        args = [self.typed(arg)[0] for arg in node.args or ()]
        if any(t is None for t in args):
            return None, False
        exact = [
            (result, v)
            for params, _, result, v in overloads
            if len(params) == len(args)
            and all(t == "unknown" or t == p for t, p in zip(args, params, strict=True))
        ]
        return _chosen(exact)

    def _operator(self, node: ast.A_Expr) -> tuple[str | None, bool]:
        names = strings(node.name)
        overloads = self.catalog.operators.get(names[-1]) if len(names) == 1 else None
        if not overloads:
            return None, False
        left = self.typed(node.lexpr)[0] if node.lexpr is not None else ""
        right = self.typed(node.rexpr)[0]
        if left is None or right is None or (left == "unknown" and right == "unknown"):
            return None, False
        exact = [
            (result, v)
            for lt, rt, result, v in overloads
            if (left == "unknown" or lt == left) and (right == "unknown" or rt == right)
        ]
        return _chosen(exact)

    def _history_mutable(self, name: str, schema: str | None) -> bool:
        """Whether every function ``name`` of the history (in ``schema``) is neither
        IMMUTABLE nor SQL (which PostgreSQL may inline first)."""
        found = self.interp.model.functions_named(name, schema)
        return bool(found) and all(
            f.volatility != "IMMUTABLE" and f.language.lower() != "sql" for f in found
        )


def _chosen(exact: list[tuple[str, str]]) -> tuple[str | None, bool]:
    """The result type and certain mutability of the overloads matching exactly: PostgreSQL
    chooses among them (the most exact matches win), so all of them not immutable decides."""
    if not exact:
        return None, False
    results = {result for result, _ in exact}
    return (results.pop() if len(results) == 1 else None), all(
        v not in ("i", "?") for _, v in exact
    )
