"""``SET NOT NULL``, or ``ADD COLUMN … NOT NULL`` without a default, on a table holding rows.

Either fails the migration on the first row whose value is null, in production,
after it ran fine on an empty development database. A table holds rows when the
history wrote to it (INSERT, COPY, UPDATE) or when ``--assume-populated`` says
every pre-existing table does; a table created in the same migration holds none.
``SET NOT NULL`` is not reported when the column has a default or the same
migration backfilled it with an UPDATE.

Fires on:

```sql
-- in a later migration than the one that created and filled users
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
ALTER TABLE users ADD COLUMN plan text NOT NULL;
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from schema_audit.lint.rules import Flag, LintContext, lint_rule
from schema_audit.lint.rules._alter import table_commands


@lint_rule(
    id="SA009",
    name="set-not-null",
    group="destructive",
    severity="moderate",
    summary="SET NOT NULL (or ADD COLUMN NOT NULL without DEFAULT) on a table holding rows",
    hint="backfill the column in the same migration (UPDATE … SET col = … WHERE col IS NULL), "
    "or give the new column a DEFAULT",
)
def check(node: ast.Node, ctx: LintContext) -> Iterator[Flag]:
    if not isinstance(node, ast.AlterTableStmt):
        return
    key = ctx.key(node.relation)
    table = ctx.model.tables.get(key)
    name = node.relation.relname
    for at, cmd in table_commands(node, AlterTableType.AT_SetNotNull, AlterTableType.AT_AddColumn):
        if cmd.subtype == AlterTableType.AT_SetNotNull:
            column = table.columns.get(cmd.name) if table else None
            if (
                ctx.has_rows(key)
                and (key, cmd.name) not in ctx.backfilled
                and not (column and column.default)
            ):
                yield Flag(
                    f"sets {name}.{cmd.name} NOT NULL on a table holding rows, without a "
                    "default or a backfill in this migration",
                    at,
                )
            continue
        kinds = {c.contype.name for c in cmd.def_.constraints or ()}
        if "CONSTR_NOTNULL" in kinds and "CONSTR_DEFAULT" not in kinds and ctx.has_rows(key):
            yield Flag(
                f"adds NOT NULL column {name}.{cmd.def_.colname} without a default to a table "
                "holding rows",
                at,
            )
