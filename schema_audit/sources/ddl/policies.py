"""Row-level security policies: CREATE POLICY and ALTER POLICY."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pglast import ast

from schema_audit.model import Policy
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.nodes import policy_roles
from schema_audit.sources.ddl.policy_scope import policy_expr
from schema_audit.sources.ddl.registry import handles

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


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
        policy_expr(interp, table, node.qual),
        policy_expr(interp, table, node.with_check),
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
        policy.using = policy_expr(interp, table, node.qual)
    if node.with_check is not None:
        policy.with_check = policy_expr(interp, table, node.with_check)
    policy.provenance.append(interp._prov("altered"))
