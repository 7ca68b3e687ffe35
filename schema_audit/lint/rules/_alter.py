"""The subcommands of an ``ALTER TABLE`` on a table, numbered: each rule that judges one
kind of subcommand reports it at its position, so one statement's findings keep its order."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ObjectType


def table_commands(
    node: ast.Node, *subtypes: AlterTableType
) -> Iterator[tuple[int, ast.AlterTableCmd]]:
    """(position, subcommand) for each subcommand of one of ``subtypes`` (all when none given)."""
    if not isinstance(node, ast.AlterTableStmt) or node.objtype != ObjectType.OBJECT_TABLE:
        return
    for at, cmd in enumerate(node.cmds or ()):
        if not subtypes or cmd.subtype in subtypes:
            yield at, cmd
