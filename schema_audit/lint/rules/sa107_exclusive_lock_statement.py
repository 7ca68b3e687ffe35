"""``VACUUM FULL``, ``CLUSTER`` and ``LOCK TABLE … IN ACCESS EXCLUSIVE MODE`` on an existing
table hold it for their whole duration.

``VACUUM FULL`` and ``CLUSTER`` rewrite the table; nobody reads or writes it
meanwhile.

Fires on:

```sql
VACUUM FULL orders;
CLUSTER orders USING orders_pkey;
LOCK TABLE orders IN ACCESS EXCLUSIVE MODE;
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from schema_audit.lint.rules import Flag, LintContext, lint_rule
from schema_audit.lint.rules._online import ACCESS_EXCLUSIVE, vacuum_full


@lint_rule(
    id="SA107",
    name="exclusive-lock-statement",
    group="online",
    severity="high",
    summary="VACUUM FULL, CLUSTER and LOCK TABLE … ACCESS EXCLUSIVE hold the table for their "
    "duration",
    hint="pg_repack (or pg_squeeze) instead of VACUUM FULL / CLUSTER, or a maintenance window",
)
def check(node: ast.Node, ctx: LintContext) -> Iterator[Flag]:
    if vacuum_full(node):
        for rel in node.rels or ():
            if ctx.existing(getattr(rel, "relation", None)):
                yield Flag(f"VACUUM FULL {rel.relation.relname}")
    elif isinstance(node, ast.ClusterStmt):
        if ctx.existing(node.relation):
            yield Flag(f"CLUSTER {node.relation.relname}")
    elif isinstance(node, ast.LockStmt) and (node.mode or 0) >= ACCESS_EXCLUSIVE:
        for rv in node.relations or ():
            if ctx.existing(rv):
                yield Flag(f"LOCK TABLE {rv.relname} IN ACCESS EXCLUSIVE MODE")
