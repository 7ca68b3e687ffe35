"""``DROP POLICY`` removes a row-level security rule.

With the policy gone, the table's remaining permissive policies decide alone: a
tenant may see rows it could not see before, or (no policy left) nobody but the
owner sees any. ``DROP POLICY IF EXISTS`` of an absent policy is not reported.

Fires on:

```sql
DROP POLICY tenant_isolation ON documents;
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ObjectType

from schema_audit.lint.rules import Flag, LintContext, lint_rule
from schema_audit.lint.rules._drops import dropped


@lint_rule(
    id="SA004",
    name="drop-policy",
    group="destructive",
    severity="high",
    summary="DROP POLICY removes a row-level security rule",
    hint="create the replacement policy in the same migration before dropping the old one "
    "(a policy is changed with ALTER POLICY)",
)
def check(node: ast.Node, ctx: LintContext) -> Iterator[Flag]:
    label = dropped(node, ctx, (ObjectType.OBJECT_POLICY,))
    if label is not None:
        yield Flag(f"drops policy {label}")
