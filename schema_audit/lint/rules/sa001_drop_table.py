"""``DROP TABLE`` in an upgrade destroys the table and every row in it.

Nothing in PostgreSQL brings the data back after the transaction commits; a
downgrade can recreate the table, never its rows. ``DROP TABLE IF EXISTS`` of a
table that does not exist at that point of the history is not reported.

Fires on:

```sql
DROP TABLE audit_log;
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ObjectType

from schema_audit.lint.rules import Flag, LintContext, lint_rule
from schema_audit.lint.rules._drops import dropped


@lint_rule(
    id="SA001",
    name="drop-table",
    group="destructive",
    severity="high",
    summary="DROP TABLE destroys the table and its data",
    hint="keep the table until nothing reads it and its data is archived; then accept the drop "
    "with `--allow drop-table` or an inline `schema-audit: ignore SA001 reason`",
)
def check(node: ast.Node, ctx: LintContext) -> Iterator[Flag]:
    label = dropped(node, ctx, (ObjectType.OBJECT_TABLE,))
    if label is not None:
        yield Flag(f"drops table {label}")
