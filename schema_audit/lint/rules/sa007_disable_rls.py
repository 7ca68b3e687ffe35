"""``DISABLE ROW LEVEL SECURITY`` or ``NO FORCE ROW LEVEL SECURITY`` turns tenant isolation off.

Disabled, the table's policies are ignored and every role with SELECT sees every
row; un-forced, the table's owner (often the application's role) bypasses them.

Fires on:

```sql
ALTER TABLE documents DISABLE ROW LEVEL SECURITY;
ALTER TABLE documents NO FORCE ROW LEVEL SECURITY;
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from schema_audit.lint.rules import Flag, LintContext, lint_rule
from schema_audit.lint.rules._alter import table_commands


@lint_rule(
    id="SA007",
    name="disable-rls",
    group="destructive",
    severity="high",
    summary="DISABLE / NO FORCE ROW LEVEL SECURITY turns tenant isolation off",
    hint="keep RLS on and change the policies instead; a maintenance job that must see every "
    "row runs as a role with BYPASSRLS",
)
def check(node: ast.Node, ctx: LintContext) -> Iterator[Flag]:
    for at, cmd in table_commands(
        node, AlterTableType.AT_DisableRowSecurity, AlterTableType.AT_NoForceRowSecurity
    ):
        verb = "disables" if cmd.subtype == AlterTableType.AT_DisableRowSecurity else "un-forces"
        yield Flag(f"{verb} row level security on {node.relation.relname}", at)
