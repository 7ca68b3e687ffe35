"""A strong lock on an existing table, with no ``lock_timeout`` set earlier in the migration.

The statement queues behind any long-running query on the table; while it waits,
every query after it queues behind it, and the application stops. With
``SET lock_timeout`` the migration fails fast instead and can be retried.
Reported once per migration, at its first strong lock (CREATE INDEX without
CONCURRENTLY, ALTER TABLE, VACUUM FULL, CLUSTER, LOCK TABLE … ACCESS EXCLUSIVE)
on a table that existed before it; a ``lock_timeout`` set earlier in the same
migration covers every statement after it.

Fires on:

```sql
ALTER TABLE orders ADD COLUMN note text;  -- no SET lock_timeout before it
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from schema_audit.lint.rules import LAST, Flag, LintContext, lint_rule
from schema_audit.lint.rules._online import strongly_locked


@lint_rule(
    id="SA108",
    name="no-lock-timeout",
    group="online",
    severity="low",
    summary="a statement that takes a strong lock on an existing table, with no lock_timeout set "
    "earlier in the migration: it queues behind a long query and blocks everyone after it",
    hint="SET lock_timeout = '2s' at the start of the migration",
)
def check(node: ast.Node, ctx: LintContext) -> Iterator[Flag]:
    if isinstance(node, ast.VariableSetStmt) and (node.name or "").lower() == "lock_timeout":
        ctx.lock_timeout = True
        return
    locked = strongly_locked(node, ctx)
    if locked and not ctx.lock_timeout and not ctx.lock_reported:
        ctx.lock_reported = True
        table = locked.split(".", 1)[1]
        yield Flag(
            f"takes a lock on {table} with no lock_timeout set earlier in this migration", LAST
        )
