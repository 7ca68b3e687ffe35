"""Row level security is enabled but not forced: the table's owner bypasses every policy.

Fires when the owner may be the role the application connects as: the spec's
`settings.app_role` is the owner, or the spec names no app role, or the source does not
know the owner (a migration history without `OWNER TO`).

Fires on:

```sql
ALTER TABLE t ENABLE ROW LEVEL SECURITY;  -- without FORCE: the owner sees every row
```
"""

from __future__ import annotations

from collections.abc import Iterator

from schema_audit.model import SchemaModel, Table
from schema_audit.rules import Hit, RuleOptions, rule


@rule(
    id="SEC003",
    name="rls-not-forced",
    group="security",
    severity="moderate",
    hint="the table owner bypasses RLS: ALTER TABLE … FORCE ROW LEVEL SECURITY",
)
def check(model: SchemaModel, options: RuleOptions) -> Iterator[Hit]:
    for key, table in sorted(model.tables.items()):
        if table.rls_enabled and not table.rls_forced and _owner_may_be_app(table, options):
            owner = f"its owner {table.owner}" if table.owner else "its owner (the migration role)"
            yield Hit(
                key,
                table.name,
                f"{table.name}: RLS enabled but not forced, so {owner} bypasses every policy",
                None,
                table.provenance,
                target=key,
            )


def _owner_may_be_app(table: Table, options: RuleOptions) -> bool:
    """Unforced RLS matters when the application connects as the table's owner.

    Without ``settings.app_role`` in the spec, or with an owner the source does not know
    (a migration history), that cannot be ruled out.
    """
    return not options.app_role or not table.owner or table.owner == options.app_role
