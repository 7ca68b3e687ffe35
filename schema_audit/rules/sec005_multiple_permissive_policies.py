"""Two permissive policies apply to the same role and command: PostgreSQL OR-s them.

One broad policy then widens every other one.

Fires on:

```sql
CREATE POLICY tenant ON t USING (tenant_id = …);
CREATE POLICY reporting ON t FOR SELECT USING (region = 'eu');  -- OR-ed with tenant
```
"""

from __future__ import annotations

from collections.abc import Iterator

from schema_audit.model import SchemaModel
from schema_audit.rules import Hit, rule

COMMANDS = ["SELECT", "INSERT", "UPDATE", "DELETE"]


@rule(
    id="SEC005",
    name="multiple-permissive-policies",
    group="security",
    severity="moderate",
    hint="permissive policies are OR-ed: one broad policy widens every other; merge them or make one RESTRICTIVE",
)
def check(model: SchemaModel, options: object) -> Iterator[Hit]:
    for key, table in sorted(model.tables.items()):
        permissive: dict[tuple[str, str], list[str]] = {}
        for policy in table.policies.values():
            if not policy.permissive:
                continue
            for role in policy.roles:
                for command in COMMANDS if policy.command == "ALL" else [policy.command]:
                    permissive.setdefault((role, command), []).append(policy.name)
        reported: set[tuple[str, ...]] = set()
        for (role, command), names in sorted(permissive.items()):
            group = tuple(sorted(set(names)))
            if len(group) > 1 and group not in reported:
                reported.add(group)
                yield Hit(
                    f"{key}.{'+'.join(group)}",
                    table.name,
                    f"{table.name}: permissive policies {', '.join(group)} both apply to {command} "
                    f"for {role}",
                    None,
                    [p for n in group for p in table.policies[n].provenance],
                    target=key,
                )
