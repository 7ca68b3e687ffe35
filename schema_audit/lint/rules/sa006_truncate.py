"""``TRUNCATE`` in an upgrade deletes every row of the tables it names (and, with
``CASCADE``, of every table referencing them).

Fires on:

```sql
TRUNCATE sessions;
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from schema_audit.lint.rules import Flag, LintContext, lint_rule


@lint_rule(
    id="SA006",
    name="truncate",
    group="destructive",
    severity="high",
    summary="TRUNCATE deletes every row",
    hint="delete the rows that must go with a WHERE clause, or accept the TRUNCATE with a reason",
)
def check(node: ast.Node, ctx: LintContext) -> Iterator[Flag]:
    if isinstance(node, ast.TruncateStmt):
        yield Flag("truncates " + ", ".join(rv.relname for rv in node.relations))
