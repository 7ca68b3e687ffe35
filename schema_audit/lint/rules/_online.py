"""What the online-safety rules (SA101–SA108) share: the ``ALTER TABLE`` subcommands on a
table that existed before the migration, and which existing table a statement locks.

A table created earlier in the same migration holds no rows and nobody waits on it,
so none of the lock rules fire on it (``CREATE TABLE t …; CREATE INDEX … ON t``).
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ConstrType, ObjectType

from schema_audit.lint.rules import LintContext
from schema_audit.lint.rules._alter import table_commands

ACCESS_EXCLUSIVE = 8  # LockStmt.mode of LOCK TABLE … IN ACCESS EXCLUSIVE MODE


def existing_table_commands(
    node: ast.Node, ctx: LintContext, *subtypes: AlterTableType
) -> Iterator[tuple[int, ast.AlterTableCmd]]:
    """The subcommands of an ALTER TABLE on a table that existed before this migration."""
    if isinstance(node, ast.AlterTableStmt) and ctx.existing(node.relation) is not None:
        yield from table_commands(node, *subtypes)


def added_constraints(
    node: ast.Node, ctx: LintContext, *contypes: ConstrType
) -> Iterator[tuple[int, ast.Constraint, str]]:
    """(position, constraint, its name or "(unnamed)") for each ``ADD CONSTRAINT`` of one of
    ``contypes`` on a table that existed before this migration."""
    for at, cmd in existing_table_commands(node, ctx, AlterTableType.AT_AddConstraint):
        if isinstance(cmd.def_, ast.Constraint) and cmd.def_.contype in contypes:
            yield at, cmd.def_, cmd.def_.conname or "(unnamed)"


def vacuum_full(node: ast.Node) -> bool:
    return isinstance(node, ast.VacuumStmt) and any(
        getattr(o, "defname", "") == "full" for o in node.options or ()
    )


def strongly_locked(node: ast.Node, ctx: LintContext) -> str | None:
    """The existing table the statement takes a strong lock on (the last, when several):
    CREATE INDEX without CONCURRENTLY, any ALTER TABLE, VACUUM FULL, CLUSTER, LOCK TABLE …
    ACCESS EXCLUSIVE."""
    locked: str | None = None
    if isinstance(node, ast.IndexStmt):
        if not node.concurrent:
            locked = ctx.existing(node.relation)
    elif isinstance(node, ast.AlterTableStmt):
        if node.objtype == ObjectType.OBJECT_TABLE:
            locked = ctx.existing(node.relation)
    elif isinstance(node, ast.VacuumStmt):
        if vacuum_full(node):
            for rel in node.rels or ():
                locked = ctx.existing(getattr(rel, "relation", None)) or locked
    elif isinstance(node, ast.ClusterStmt):
        locked = ctx.existing(node.relation)
    elif isinstance(node, ast.LockStmt) and (node.mode or 0) >= ACCESS_EXCLUSIVE:
        for rv in node.relations or ():
            locked = ctx.existing(rv) or locked
    return locked
