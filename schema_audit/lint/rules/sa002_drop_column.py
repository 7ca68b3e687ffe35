"""``ALTER TABLE … DROP COLUMN`` destroys the column's values and breaks every reader of it.

Application code deployed before the migration still selects the column; the
values are gone once the transaction commits.

Fires on:

```sql
ALTER TABLE users DROP COLUMN legacy_name;
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from schema_audit.lint.rules import Flag, LintContext, lint_rule
from schema_audit.lint.rules._alter import table_commands


@lint_rule(
    id="SA002",
    name="drop-column",
    group="destructive",
    severity="high",
    summary="DROP COLUMN destroys the column's data and breaks readers of it",
    hint="stop reading and writing the column in a release first, copy what must be kept, "
    "then drop it in a later migration",
)
def check(node: ast.Node, ctx: LintContext) -> Iterator[Flag]:
    for at, cmd in table_commands(node, AlterTableType.AT_DropColumn):
        yield Flag(f"drops column {node.relation.relname}.{cmd.name}", at)
