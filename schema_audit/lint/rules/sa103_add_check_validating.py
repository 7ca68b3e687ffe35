"""``ADD CHECK`` without ``NOT VALID`` on an existing table scans it under an ACCESS EXCLUSIVE lock.

Nobody reads or writes the table until every row has been checked.

Fires on:

```sql
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ConstrType

from schema_audit.lint.rules import Flag, LintContext, lint_rule
from schema_audit.lint.rules._online import added_constraints


@lint_rule(
    id="SA103",
    name="add-check-validating",
    group="online",
    severity="moderate",
    summary="ADD CHECK without NOT VALID scans the table under an ACCESS EXCLUSIVE lock",
    hint="ADD CONSTRAINT … CHECK (…) NOT VALID, then VALIDATE CONSTRAINT in a later step",
)
def check(node: ast.Node, ctx: LintContext) -> Iterator[Flag]:
    for at, con, label in added_constraints(node, ctx, ConstrType.CONSTR_CHECK):
        if not con.skip_validation:
            yield Flag(f"adds check {label} on {node.relation.relname} without NOT VALID", at)
