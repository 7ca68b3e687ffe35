"""Policies exist but row level security is off, so none of them applies.

Fires on:

```sql
CREATE POLICY p ON t USING (tenant_id = current_setting('app.t')::uuid);  -- RLS never enabled
```
"""

from __future__ import annotations

from collections.abc import Iterator

from schema_audit.model import SchemaModel
from schema_audit.rules import Hit, rule


@rule(
    id="SEC002",
    name="policies-without-rls",
    group="security",
    severity="high",
    hint="policies have no effect until ALTER TABLE … ENABLE ROW LEVEL SECURITY",
)
def check(model: SchemaModel, options: object) -> Iterator[Hit]:
    for key, table in sorted(model.tables.items()):
        if table.policies and not table.rls_enabled:
            yield Hit(
                key,
                table.name,
                f"{table.name} has {len(table.policies)} polic(ies) but RLS is disabled",
                None,
                table.provenance,
                target=key,
            )
