"""Row-level security policies: CREATE POLICY and ALTER POLICY."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pglast import ast

from schema_audit.model import Policy
from schema_audit.pgvisit import find_all
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.function_schemas import qualified_calls
from schema_audit.sources.ddl.implicit import Scopes, promote_integer_columns
from schema_audit.sources.ddl.nodes import expr_label, policy_roles
from schema_audit.sources.ddl.operand_bases import operand_bases
from schema_audit.sources.ddl.policy_scope import from_scope, policy_expr
from schema_audit.sources.ddl.registry import handles
from schema_audit.sources.ddl.temp_shadows import restated

if TYPE_CHECKING:
    from schema_audit.model import Table
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


def _predicate(interp: DdlInterpreter, table: Table, node: ast.Node | None) -> str | None:
    """USING or WITH CHECK as PostgreSQL stores it: an integer column meeting a numeric is
    cast to numeric (``amount < 100.5`` is stored ``((amount)::numeric < 100.5)``), as in a
    CHECK. In a subquery each name is the column PostgreSQL binds it to (``from_scope``:
    innermost FROM list first), and a scalar subquery's kind is its output's
    (``avg(amount)`` is numeric). A call of the history's own function outside public is
    printed qualified, as in a CHECK (``function_schemas``)."""
    if node is not None and find_all(node, ast.SubLink):
        scopes = Scopes([{table.name: table.columns}], lambda select: from_scope(interp, select))
        node = promote_integer_columns(node, scopes)
        _label_subquery_targets(node)
    elif node is not None:
        node = promote_integer_columns(node, table.columns, operand_bases(interp))
    return qualified_calls(interp, policy_expr(interp, table, node))


def _label_subquery_targets(node: ast.Node) -> None:
    """A subquery's output column that is not a plain column is printed by the catalog with
    the name PostgreSQL gave it (``( SELECT avg(i.amount) AS avg FROM …)``): named so here."""
    for select in find_all(node, ast.SelectStmt):
        for target in select.targetList or ():
            if target.name or not isinstance(target.val, ast.FuncCall | ast.TypeCast):
                continue
            label = expr_label(target.val)
            if label != "expr":
                target.name = label


@handles(ast.CreatePolicyStmt)
def create_policy(interp: DdlInterpreter, node: ast.CreatePolicyStmt) -> None:
    """CREATE POLICY: command, permissive or restrictive, roles, USING and WITH CHECK."""
    table = interp._table(node.table)
    if node.policy_name in table.policies:
        raise ApplyError(f"policy {node.policy_name} on {table.qualified_name} already exists")
    table.policies[node.policy_name] = Policy(
        node.policy_name,
        (node.cmd_name or "all").upper(),
        bool(node.permissive),
        policy_roles(node.roles),
        _predicate(interp, table, node.qual),
        _predicate(interp, table, node.with_check),
        [interp._prov()],
    )


@handles(ast.AlterPolicyStmt)
def alter_policy(interp: DdlInterpreter, node: ast.AlterPolicyStmt) -> None:
    """ALTER POLICY: what it restates replaces the policy's roles, USING or WITH CHECK."""
    table = interp._table(node.table)
    policy = table.policies.get(node.policy_name)
    if policy is None:
        raise ApplyError(f"policy {node.policy_name} on {table.qualified_name} does not exist")
    if node.roles:
        policy.roles = policy_roles(node.roles)
    if node.qual is not None:
        restated(interp, policy, "using")
        policy.using = _predicate(interp, table, node.qual)
    if node.with_check is not None:
        restated(interp, policy, "with_check")
        policy.with_check = _predicate(interp, table, node.with_check)
    policy.provenance.append(interp._prov("altered"))
