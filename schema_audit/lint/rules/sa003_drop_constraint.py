"""``ALTER TABLE … DROP CONSTRAINT`` removes an integrity guarantee.

A dropped foreign key, check or unique constraint lets rows in that it used to
refuse; putting it back later fails on the rows that came in meanwhile.

Fires on:

```sql
ALTER TABLE orders DROP CONSTRAINT orders_total_positive;
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from schema_audit.lint.rules import Flag, LintContext, lint_rule
from schema_audit.lint.rules._alter import table_commands


@lint_rule(
    id="SA003",
    name="drop-constraint",
    group="destructive",
    severity="moderate",
    summary="DROP CONSTRAINT removes an integrity guarantee",
    hint="replace the constraint in the same migration (add the new one NOT VALID, validate, "
    "then drop the old one), or accept the drop with a reason",
)
def check(node: ast.Node, ctx: LintContext) -> Iterator[Flag]:
    for at, cmd in table_commands(node, AlterTableType.AT_DropConstraint):
        yield Flag(f"drops constraint {cmd.name} on {node.relation.relname}", at)
