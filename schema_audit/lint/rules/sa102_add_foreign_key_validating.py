"""``ADD FOREIGN KEY`` without ``NOT VALID`` on an existing table scans it while both tables are locked.

Validating every existing row holds a SHARE ROW EXCLUSIVE lock on the table and
on the referenced one: writes to both wait for the scan.

Fires on:

```sql
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk
    FOREIGN KEY (customer_id) REFERENCES customers (id);
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ConstrType

from schema_audit.lint.rules import Flag, LintContext, lint_rule
from schema_audit.lint.rules._online import added_constraints


@lint_rule(
    id="SA102",
    name="add-foreign-key-validating",
    group="online",
    severity="moderate",
    summary="ADD FOREIGN KEY without NOT VALID scans the table and locks both tables meanwhile",
    hint="ADD CONSTRAINT … NOT VALID, then ALTER TABLE … VALIDATE CONSTRAINT in a later step",
)
def check(node: ast.Node, ctx: LintContext) -> Iterator[Flag]:
    for at, con, label in added_constraints(node, ctx, ConstrType.CONSTR_FOREIGN):
        if not con.skip_validation:
            yield Flag(f"adds foreign key {label} on {node.relation.relname} without NOT VALID", at)
