"""``DROP TRIGGER`` removes a guard: an append-only check, an audit trail, a derived value.

Rows written after the drop skip what the trigger enforced, silently.
``DROP TRIGGER IF EXISTS`` of an absent trigger is not reported.

Fires on:

```sql
DROP TRIGGER ledger_no_update ON ledger;
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ObjectType

from schema_audit.lint.rules import Flag, LintContext, lint_rule
from schema_audit.lint.rules._drops import dropped


@lint_rule(
    id="SA005",
    name="drop-trigger",
    group="destructive",
    severity="moderate",
    summary="DROP TRIGGER removes a guard (immutability, audit)",
    hint="replace the trigger in the same migration (CREATE OR REPLACE TRIGGER on PostgreSQL "
    "14+), or accept the drop with a reason",
)
def check(node: ast.Node, ctx: LintContext) -> Iterator[Flag]:
    label = dropped(node, ctx, (ObjectType.OBJECT_TRIGGER,))
    if label is not None:
        yield Flag(f"drops trigger {label}")
