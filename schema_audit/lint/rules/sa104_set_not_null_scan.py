"""``SET NOT NULL`` on an existing table scans it under an ACCESS EXCLUSIVE lock.

PostgreSQL 12 and later skip the scan when a validated ``CHECK (col IS NOT NULL)``
already proves the column has no null; such a column is not reported.

Fires on:

```sql
ALTER TABLE users ALTER COLUMN email SET NOT NULL;  -- no validated CHECK (email IS NOT NULL)
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from schema_audit.lint.rules import Flag, LintContext, lint_rule
from schema_audit.lint.rules._online import existing_table_commands


@lint_rule(
    id="SA104",
    name="set-not-null-scan",
    group="online",
    severity="moderate",
    summary="SET NOT NULL scans the table under an ACCESS EXCLUSIVE lock unless a validated "
    "CHECK (col IS NOT NULL) proves it",
    hint="ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then "
    "SET NOT NULL (and drop the check)",
)
def check(node: ast.Node, ctx: LintContext) -> Iterator[Flag]:
    for at, cmd in existing_table_commands(node, ctx, AlterTableType.AT_SetNotNull):
        table = ctx.model.tables[ctx.key(node.relation)]
        proven = any(
            c.validated
            and re.fullmatch(
                rf"\(*\s*\"?{re.escape(cmd.name)}\"?\s+IS\s+NOT\s+NULL\s*\)*",
                c.expression,
                re.IGNORECASE,
            )
            for c in table.checks.values()
        )
        if not proven:
            name = node.relation.relname
            yield Flag(
                f"sets {name}.{cmd.name} NOT NULL without a validated "
                f"CHECK ({cmd.name} IS NOT NULL)",
                at,
            )
