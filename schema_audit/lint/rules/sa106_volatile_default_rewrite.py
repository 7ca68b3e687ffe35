"""``ADD COLUMN`` with a volatile default on an existing table rewrites the whole table.

A constant default has been stored in the catalog without a rewrite since
PostgreSQL 11; a volatile one (``gen_random_uuid()``, ``clock_timestamp()``,
``random()``, ``nextval()``, a serial type) must be computed per row, so the table
is rewritten under an ACCESS EXCLUSIVE lock.

Fires on:

```sql
ALTER TABLE events ADD COLUMN public_id uuid DEFAULT gen_random_uuid();
ALTER TABLE events ADD COLUMN seq bigserial;
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from schema_audit.lint.rules import Flag, LintContext, lint_rule
from schema_audit.lint.rules._online import existing_table_commands
from schema_audit.pgvisit import find_all

_VOLATILE = {
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "random",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "txid_current",
}
_SERIALS = {"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"}


def _volatile_default(column: ast.ColumnDef) -> str | None:
    names = [s.sval for s in column.typeName.names or () if isinstance(s, ast.String)]
    if names and names[-1].lower() in _SERIALS:
        return f"type {names[-1]} (a nextval() default)"
    for con in column.constraints or ():
        if con.contype == ConstrType.CONSTR_DEFAULT and con.raw_expr is not None:
            for found in _function_names(con.raw_expr):
                if found in _VOLATILE:
                    return f"default {found}()"
    return None


def _function_names(node: object) -> list[str]:
    return [call.funcname[-1].sval.lower() for call in find_all(node, ast.FuncCall)]


@lint_rule(
    id="SA106",
    name="volatile-default-rewrite",
    group="online",
    severity="high",
    summary="ADD COLUMN with a volatile default (gen_random_uuid(), clock_timestamp(), serial …) "
    "rewrites the whole table",
    hint="add the column without a default, backfill it in batches, then SET DEFAULT",
)
def check(node: ast.Node, ctx: LintContext) -> Iterator[Flag]:
    for at, cmd in existing_table_commands(node, ctx, AlterTableType.AT_AddColumn):
        if isinstance(cmd.def_, ast.ColumnDef):
            volatile = _volatile_default(cmd.def_)
            if volatile:
                yield Flag(
                    f"adds column {node.relation.relname}.{cmd.def_.colname} with {volatile}: "
                    "rewrites the table",
                    at,
                )
