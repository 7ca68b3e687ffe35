"""``DROP VIEW``, ``MATERIALIZED VIEW``, ``FUNCTION``, ``INDEX`` or ``TYPE`` in an upgrade.

Readers of the view, callers of the function and queries planned on the index
break or slow down at once; a dropped type takes its columns with it (CASCADE).
``DROP … IF EXISTS`` of an object that does not exist at that point of the
history is not reported (the ``DROP INDEX IF EXISTS ix; CREATE INDEX ix …`` idiom).

Fires on:

```sql
DROP VIEW active_users;
DROP INDEX orders_created_at_idx;
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ObjectType

from schema_audit.lint.rules import Flag, LintContext, lint_rule
from schema_audit.lint.rules._drops import dropped

_KINDS = (
    ObjectType.OBJECT_VIEW,
    ObjectType.OBJECT_MATVIEW,
    ObjectType.OBJECT_FUNCTION,
    ObjectType.OBJECT_INDEX,
    ObjectType.OBJECT_TYPE,
)


@lint_rule(
    id="SA010",
    name="drop-object",
    group="destructive",
    severity="low",
    summary="DROP VIEW / MATERIALIZED VIEW / FUNCTION / INDEX / TYPE in an upgrade",
    hint="replace the object in place (CREATE OR REPLACE VIEW / FUNCTION, CREATE INDEX "
    "CONCURRENTLY before DROP INDEX CONCURRENTLY), or accept the drop with a reason",
)
def check(node: ast.Node, ctx: LintContext) -> Iterator[Flag]:
    label = dropped(node, ctx, _KINDS)
    if label is not None:
        kind = node.removeType.name.replace("OBJECT_", "").lower()
        yield Flag(f"drops {kind} {label}".rstrip())
