"""A table with the spec's tenant column (`settings.tenant_column`) has no row level security.

Any role that can read it reads every tenant's rows.

Fires on:

```sql
CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid NOT NULL);  -- no RLS
```
"""

from __future__ import annotations

from collections.abc import Iterator

from schema_audit.model import SchemaModel
from schema_audit.rules import Hit, RuleOptions, rule


@rule(
    id="SEC006",
    name="tenant-table-without-rls",
    group="security",
    severity="high",
    hint="a table with the tenant column and no RLS is readable across tenants: enable RLS with a tenant policy",
)
def check(model: SchemaModel, options: RuleOptions) -> Iterator[Hit]:
    tenant_column = options.tenant_column
    if not tenant_column:
        return
    for key, table in sorted(model.tables.items()):
        if tenant_column in table.columns and not table.rls_enabled:
            yield Hit(
                key,
                table.name,
                f"{table.name} has {tenant_column} but no row level security",
                None,
                table.provenance,
                target=key,
                column=tenant_column,
            )
