"""``CREATE INDEX`` without ``CONCURRENTLY`` on an existing table blocks its writes while it builds.

The build takes a SHARE lock: every INSERT, UPDATE and DELETE on the table waits
until the index is complete, minutes on a large table. An index on a table created
earlier in the same migration is not reported.

Fires on:

```sql
CREATE INDEX orders_customer_idx ON orders (customer_id);  -- orders existed before
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from schema_audit.lint.rules import Flag, LintContext, lint_rule


@lint_rule(
    id="SA101",
    name="create-index-blocking",
    group="online",
    severity="moderate",
    summary="CREATE INDEX without CONCURRENTLY blocks writes to an existing table while it builds",
    hint="CREATE INDEX CONCURRENTLY, in a migration that does not run in a transaction",
)
def check(node: ast.Node, ctx: LintContext) -> Iterator[Flag]:
    if isinstance(node, ast.IndexStmt) and not node.concurrent and ctx.existing(node.relation):
        yield Flag(
            f"creates index {node.idxname or '(unnamed)'} on {node.relation.relname} "
            "without CONCURRENTLY"
        )
