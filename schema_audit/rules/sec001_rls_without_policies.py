"""Row level security is enabled and no policy exists: non-owners see no row at all.

Fires on:

```sql
ALTER TABLE t ENABLE ROW LEVEL SECURITY;  -- and no CREATE POLICY
```
"""

from __future__ import annotations

from collections.abc import Iterator

from schema_audit.model import SchemaModel
from schema_audit.rules import Hit, rule


@rule(
    id="SEC001",
    name="rls-without-policies",
    group="security",
    severity="moderate",
    hint="RLS denies every row to non-owners without a policy: add the policies, or disable RLS on purpose",
)
def check(model: SchemaModel, options: object) -> Iterator[Hit]:
    for key, table in sorted(model.tables.items()):
        if table.rls_enabled and not table.policies:
            yield Hit(
                key,
                table.name,
                f"{table.name} has RLS enabled and no policy",
                None,
                table.provenance,
                target=key,
            )
