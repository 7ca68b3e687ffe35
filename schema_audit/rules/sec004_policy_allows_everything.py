"""A permissive policy whose USING or WITH CHECK is `true` opens every row to its roles.

Fires on:

```sql
CREATE POLICY everyone ON t FOR SELECT USING (true);
```
"""

from __future__ import annotations

from collections.abc import Iterator

from schema_audit import model_ddl, sqlnorm
from schema_audit.model import SchemaModel
from schema_audit.rules import Hit, rule


@rule(
    id="SEC004",
    name="policy-allows-everything",
    group="security",
    severity="high",
    hint="a permissive USING (true) / WITH CHECK (true) opens every row: scope it to the tenant",
)
def check(model: SchemaModel, options: object) -> Iterator[Hit]:
    for key, table in sorted(model.tables.items()):
        for policy in table.policies.values():
            if policy.permissive and (_is_true(policy.using) or _is_true(policy.with_check)):
                clause = "USING (true)" if _is_true(policy.using) else "WITH CHECK (true)"
                yield Hit(
                    f"{key}.{policy.name}",
                    table.name,
                    f"policy {policy.name} on {table.name} is permissive with {clause}",
                    model_ddl.create_policy(policy, table),
                    policy.provenance,
                    target=key,
                )


def _is_true(expr: str | None) -> bool:
    return expr is not None and sqlnorm.canonical_expr(expr) in ("TRUE", "true")
