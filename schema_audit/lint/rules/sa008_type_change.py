"""``ALTER COLUMN … TYPE`` that narrows the type or makes PostgreSQL rewrite the table.

The column's type at that point of the history is known, so the changes
PostgreSQL makes without a rewrite and without losing a value are not reported:
``varchar(n)`` to a longer ``varchar`` or to ``text``, ``numeric(p,s)`` to
``numeric(p',s)`` with p' ≥ p or to bare ``numeric``. Everything else rewrites
the table under an ACCESS EXCLUSIVE lock or can fail on (or truncate) values;
a column the history does not know is reported with its old type as unknown.

Fires on:

```sql
ALTER TABLE users ALTER COLUMN name TYPE varchar(20);  -- was varchar(100)
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from schema_audit.lint.rules import Flag, LintContext, lint_rule
from schema_audit.lint.rules._alter import table_commands
from schema_audit.sqlnorm import canonical_type, format_typename


def _widening(old: str, new: str) -> bool:
    """Type changes PostgreSQL makes without a rewrite and without losing values."""
    if old == new:
        return True
    var = re.fullmatch(r"character varying(?:\((\d+)\))?", old)
    if var and (new == "text" or new == "character varying"):
        return True
    new_var = re.fullmatch(r"character varying\((\d+)\)", new)
    if var and new_var and var.group(1) and int(new_var.group(1)) >= int(var.group(1)):
        return True
    num = re.fullmatch(r"numeric\((\d+),(\d+)\)", old)
    new_num = re.fullmatch(r"numeric\((\d+),(\d+)\)", new)
    if num and new == "numeric":
        return True
    return bool(
        num
        and new_num
        and new_num.group(2) == num.group(2)
        and int(new_num.group(1)) >= int(num.group(1))
    )


@lint_rule(
    id="SA008",
    name="type-change",
    group="destructive",
    severity="moderate",
    summary="ALTER COLUMN TYPE that narrows the type or rewrites the table",
    hint="add a column of the new type, backfill it in batches, switch readers, then drop the "
    "old column",
)
def check(node: ast.Node, ctx: LintContext) -> Iterator[Flag]:
    table = None
    if isinstance(node, ast.AlterTableStmt):
        table = ctx.model.tables.get(ctx.key(node.relation))
    for at, cmd in table_commands(node, AlterTableType.AT_AlterColumnType):
        new = format_typename(cmd.def_.typeName)
        old = table.columns[cmd.name].type if table and cmd.name in table.columns else None
        if old is None or not _widening(canonical_type(old), new):
            yield Flag(
                f"changes {node.relation.relname}.{cmd.name} from {old or 'unknown'} "
                f"to {new} (narrows or rewrites the table)",
                at,
            )
