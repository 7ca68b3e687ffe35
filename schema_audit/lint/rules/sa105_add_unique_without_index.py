"""``ADD PRIMARY KEY`` or ``ADD UNIQUE`` on an existing table builds its index under an
ACCESS EXCLUSIVE lock.

Nobody reads or writes the table while the unique index is built.

Fires on:

```sql
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ConstrType

from schema_audit.lint.rules import Flag, LintContext, lint_rule
from schema_audit.lint.rules._online import added_constraints


@lint_rule(
    id="SA105",
    name="add-unique-without-index",
    group="online",
    severity="moderate",
    summary="ADD PRIMARY KEY / UNIQUE builds its index under an ACCESS EXCLUSIVE lock; build it "
    "CONCURRENTLY and add the constraint USING INDEX",
    hint="CREATE UNIQUE INDEX CONCURRENTLY, then ALTER TABLE … ADD CONSTRAINT … USING INDEX",
)
def check(node: ast.Node, ctx: LintContext) -> Iterator[Flag]:
    unique = (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE)
    for at, con, label in added_constraints(node, ctx, *unique):
        if not con.indexname:
            kind = "primary key" if con.contype == ConstrType.CONSTR_PRIMARY else "unique"
            yield Flag(f"adds {kind} {label} on {node.relation.relname} without USING INDEX", at)
