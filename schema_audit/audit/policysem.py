"""What PostgreSQL makes of a table's policies: effective predicates and predicate equivalence.

A policy requirement is about behaviour, not spelling. PostgreSQL combines the
policies that apply to a role and command as ``(p1 OR p2 …) AND r1 AND r2 …``
(permissive ORed, restrictive ANDed; a policy without the clause contributes
nothing, no permissive policy means no row), and a policy without WITH CHECK
checks new rows with its USING expression (``QUAL_FOR_WCO`` in rowsecurity.c).
Two predicates are the same when PostgreSQL treats them the same: beyond
:func:`sqlnorm.canonical_expr`, ``a = b`` is ``b = a`` and ``(SELECT f())``
is ``f()`` when every function in it is STABLE or IMMUTABLE (evaluated once per
statement either way). Each equivalence is checked against a real server in
tests/test_policy_semantics.py.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from schema_audit import sqlnorm
from schema_audit.audit import privileges
from schema_audit.deferred import defer
from schema_audit.model import Policy, SchemaModel, Table
from schema_audit.sqlspace import one_line


def _import_pglast() -> None:
    """The parser and its node classes, on the first predicate that needs them (deferred.py)."""
    global ast, A_Expr_Kind, BoolExprType, SubLinkType, RawStream, parse_sql, find_all
    from pglast import ast
    from pglast.enums import A_Expr_Kind, BoolExprType, SubLinkType
    from pglast.stream import RawStream

    from schema_audit.pgparse import parse_sql
    from schema_audit.pgvisit import find_all


if TYPE_CHECKING:
    from pglast import ast
    from pglast.enums import A_Expr_Kind, BoolExprType, SubLinkType
    from pglast.stream import RawStream

    from schema_audit.pgparse import parse_sql
    from schema_audit.pgvisit import find_all
else:  # a live audit whose policies are equal as written never loads pglast
    defer(
        globals(),
        _import_pglast,
        "ast A_Expr_Kind BoolExprType SubLinkType RawStream parse_sql find_all",
    )

COMMANDS = ("SELECT", "INSERT", "UPDATE", "DELETE")
# which clause decides which command: rows read (USING) and rows written (WITH CHECK)
CLAUSES = {"SELECT": ("using",), "INSERT": ("with_check",), "UPDATE": ("using", "with_check")}
CLAUSES["DELETE"] = ("using",)

# Built-in functions that are STABLE or IMMUTABLE in pg_proc, and Supabase's auth helpers
# (STABLE there); any other function counts only when the model says it is not VOLATILE.
_NONVOLATILE_BUILTINS = {
    "current_setting",
    "now",
    "transaction_timestamp",
    "statement_timestamp",
    "current_schema",
    "current_database",
    "lower",
    "upper",
    "btrim",
    "nullif",
    "auth.uid",
    "auth.jwt",
    "auth.role",
    "auth.email",
}


def _function_name(node: ast.FuncCall) -> str:
    names = [n.sval for n in node.funcname]
    if len(names) == 2 and names[0] == "pg_catalog":
        names = names[1:]
    return ".".join(names)


Volatility = dict[str, bool]  # "schema.name" -> some overload is VOLATILE


def _nonvolatile(name: str, functions: Volatility) -> bool:
    schema, _, bare = name.rpartition(".")
    found = [
        volatile
        for key, volatile in functions.items()
        if key.rpartition(".")[2] == bare and (not schema or key.rpartition(".")[0] == schema)
    ]
    if found:
        return not any(found)
    return name in _NONVOLATILE_BUILTINS


def _once_per_statement(node: object, functions: Volatility) -> bool:
    """True when ``node`` has the same value for every row of a statement.

    No column references (a correlated subquery is per row), no nested subquery,
    and only STABLE/IMMUTABLE functions.
    """
    return all(
        isinstance(found, ast.FuncCall) and _nonvolatile(_function_name(found), functions)
        for found in find_all(node, ast.ColumnRef, ast.SubLink, ast.ParamRef, ast.FuncCall)
    )


def _scalar_subselect(node: ast.SubLink) -> object | None:
    """The expression of ``(SELECT expr)`` with nothing else in the subquery, else None."""
    if node.subLinkType != SubLinkType.EXPR_SUBLINK or not isinstance(
        node.subselect, ast.SelectStmt
    ):
        return None
    select = node.subselect
    others = (
        "fromClause",
        "whereClause",
        "groupClause",
        "havingClause",
        "sortClause",
        "limitCount",
        "limitOffset",
        "distinctClause",
        "windowClause",
        "withClause",
        "valuesLists",
        "larg",
        "rarg",
    )
    if any(getattr(select, slot, None) for slot in others) or len(select.targetList or ()) != 1:
        return None
    return select.targetList[0].val


def _rewrite(node, functions: Volatility):
    """Bottom-up: unwrap once-per-statement scalar subqueries, order ``=`` operands."""
    if isinstance(node, tuple | list):
        return tuple(_rewrite(n, functions) for n in node)
    if not isinstance(node, ast.Node):
        return node
    for slot in type(node).__slots__:
        if slot == "location":
            continue
        value = getattr(node, slot, None)
        if isinstance(value, ast.Node | tuple | list):
            setattr(node, slot, _rewrite(value, functions))
    if isinstance(node, ast.SubLink):
        inner = _scalar_subselect(node)
        if inner is not None and _once_per_statement(inner, functions):
            return inner
    if (
        isinstance(node, ast.A_Expr)
        and node.kind == A_Expr_Kind.AEXPR_OP
        and node.name
        and node.name[-1].sval in ("=", "<>")
        and node.lexpr is not None
    ):
        left, right = RawStream()(node.lexpr), RawStream()(node.rexpr)
        if right < left:
            node.lexpr, node.rexpr = node.rexpr, node.lexpr
    return node


_VOLATILITY: dict[int, Volatility] = {0: {}}  # token -> the function table it stands for
_LAST: list = [None, 0, 0]  # model, its function count, its token


@functools.lru_cache(maxsize=8192)
def _canonical(text: str, token: int) -> str:
    base = sqlnorm.canonical_expr(text)
    if not base or base.startswith("?"):
        return base
    try:
        node = parse_sql(f"SELECT {base}")[0].stmt.targetList[0].val
        return one_line(RawStream()(_rewrite(node, _VOLATILITY[token])))
    except Exception:  # the canonical form always parses; never crash an audit on it
        return base


def _function_token(model: SchemaModel | None) -> int:
    """A small cache key for the model's function volatilities, computed once per model."""
    if model is None:
        return 0
    if _LAST[0] is model and _LAST[1] == len(model.functions):
        return int(_LAST[2])
    table: Volatility = {}
    for fn in model.functions.values():
        key = f"{fn.schema}.{fn.name}"
        table[key] = table.get(key, False) or fn.volatility == "VOLATILE"
    token = next((t for t, known in _VOLATILITY.items() if known == table), None)
    if token is None:
        token = max(_VOLATILITY) + 1
        _VOLATILITY[token] = table
    _LAST[:] = [model, len(model.functions), token]  # holds the model: its id cannot be reused
    return token


def canonical(text: str | None, model: SchemaModel | None = None) -> str:
    """The canonical predicate: sqlnorm's form, ``=`` operands ordered, ``(SELECT f())`` unwrapped."""
    if text is None or not str(text).strip():
        return ""
    return _canonical(str(text), _function_token(model))


def equal(a: str | None, b: str | None, model: SchemaModel | None = None) -> bool:
    """True when PostgreSQL evaluates both predicates the same way (both absent counts)."""
    return a == b or canonical(a, model) == canonical(b, model)  # equal text: no parse needed


def conjuncts(text: str | None, model: SchemaModel | None = None) -> set[str]:
    """The top-level AND terms of a predicate, each canonical."""
    form = canonical(text, model)
    if not form or form.startswith("?"):
        return {form} if form else set()
    node = parse_sql(f"SELECT {form}")[0].stmt.targetList[0].val
    if isinstance(node, ast.BoolExpr) and node.boolop == BoolExprType.AND_EXPR:
        return {one_line(RawStream()(arg)) for arg in node.args}
    return {form}


def implies(stronger: str | None, weaker: str, model: SchemaModel | None = None) -> bool:
    """A sufficient test that every row ``stronger`` admits, ``weaker`` admits too.

    True when every AND term of ``weaker`` is an AND term of ``stronger``; anything
    cleverer would need a prover, and a missed implication is a FAIL, never a PASS.
    """
    if stronger is None:
        return False
    want = conjuncts(weaker, model)
    return bool(want) and want <= conjuncts(stronger, model)


def clause(policy: Policy, which: str) -> str | None:
    """The expression PostgreSQL evaluates for ``which`` (using / with_check) of one policy.

    WITH CHECK falls back to USING (rowsecurity.c's QUAL_FOR_WCO): a FOR ALL or FOR UPDATE
    policy with only USING refuses new rows that USING would hide.
    """
    if which == "using":
        return policy.using
    if policy.with_check is not None or policy.command in ("SELECT", "DELETE"):
        return policy.with_check  # SELECT and DELETE policies never check new rows
    return policy.using


def applies(policy: Policy, command: str, roles: set[str] | None) -> bool:
    """The policy is considered for ``command`` by a role reaching ``roles`` (None: any role)."""
    if policy.command not in ("ALL", command):
        return False
    return roles is None or bool({r.lower() for r in policy.roles} & roles)


@dataclass(frozen=True, slots=True)
class Effective:
    """The policies behind one command's clause, split the way PostgreSQL combines them."""

    command: str
    which: str  # using | with_check
    permissive: tuple[tuple[Policy, str], ...]
    restrictive: tuple[tuple[Policy, str], ...]

    def render(self) -> str:
        """``(a OR b) AND r`` — the predicate PostgreSQL evaluates; ``false`` without permissive."""
        if not self.permissive:
            return "false"
        ors = " OR ".join(f"({e})" for _, e in self.permissive)
        ands = "".join(f" AND ({e})" for _, e in self.restrictive)
        return (f"({ors})" if len(self.permissive) > 1 and ands else ors) + ands


def effective(table: Table, command: str, which: str, roles: set[str] | None) -> Effective:
    permissive: list[tuple[Policy, str]] = []
    restrictive: list[tuple[Policy, str]] = []
    for policy in sorted(table.policies.values(), key=lambda p: p.name):
        expr = clause(policy, which)
        if expr is None or not applies(policy, command, roles):
            continue  # a policy without the clause contributes nothing (tested)
        (permissive if policy.permissive else restrictive).append((policy, expr))
    return Effective(command, which, tuple(permissive), tuple(restrictive))


def role_scope(model: SchemaModel, roles: list[str] | None) -> set[str] | None:
    """Every role name whose policies apply to one of ``roles`` (members, PUBLIC); None = any."""
    if not roles:
        return None
    out: set[str] = set()
    for role in roles:
        out |= {r.lower() for r in privileges.reachable_roles(model, role)}
    return out


@dataclass(frozen=True, slots=True)
class Breach:
    """One command whose effective predicate does not imply the isolation predicate."""

    command: str
    which: str
    effective: str
    culprits: tuple[Policy, ...]  # the permissive policies that admit other rows


def isolation_breaches(
    table: Table, isolation: str, model: SchemaModel, roles: set[str] | None
) -> list[Breach]:
    """Commands where some row outside ``isolation`` is readable or writable.

    Isolation holds for a clause when a restrictive policy implies it (it is ANDed
    onto everything), or when every permissive policy does (their OR then does).
    """
    out: list[Breach] = []
    for command in COMMANDS:
        for which in CLAUSES[command]:
            eff = effective(table, command, which, roles)
            if any(implies(e, isolation, model) for _, e in eff.restrictive):
                continue
            culprits = tuple(p for p, e in eff.permissive if not implies(e, isolation, model))
            if culprits:
                out.append(Breach(command, which, eff.render(), culprits))
    return out
