"""A view reads a row-level-secured table with its owner's rights, and its owner bypasses the policies.

Without `security_invoker` (PostgreSQL 15+), a view checks the tables it reads as
its owner, RLS included. When that owner bypasses the table's policies (it owns
the table and RLS is not forced, or it is a superuser or has BYPASSRLS), anyone
who may select from the view reads every tenant's rows through it, whatever the
policies say. A migration history that does not say who owns what is judged as
if one role owns both; a live or replayed catalog is judged on its real owners.

Fires on:

```sql
CREATE TABLE notes (id int PRIMARY KEY, tenant_id uuid NOT NULL, body text);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON notes USING (tenant_id = current_setting('app.tenant')::uuid);
CREATE VIEW recent_notes AS SELECT id, body FROM notes;  -- the owner's rights: every tenant
```
"""

from __future__ import annotations

from collections.abc import Iterator

from schema_audit import model_ddl
from schema_audit.model import SchemaModel, Table, View
from schema_audit.rules import Hit, rule


@rule(
    id="SEC009",
    name="view-bypasses-rls",
    group="security",
    severity="high",
    hint="ALTER VIEW … SET (security_invoker = true) so the caller's policies apply "
    "(PostgreSQL 15+), or give the view an owner the policies bind",
    since=15,
)
def check(model: SchemaModel, options: object) -> Iterator[Hit]:
    for key, view in sorted(model.views.items()):
        if view.materialized or view.security_invoker:
            continue  # a materialized view stores rows: its refresh, not its readers, runs the query
        for base in view.depends_on:
            table = model.tables.get(base)
            if table is None or not table.rls_enabled or not _bypasses(model, view, table):
                continue
            owner = view.owner or "its owner (the migration role)"
            yield Hit(
                f"{key}.{table.name}",
                None,
                f"view {view.name} reads {table.name} (row level security) as {owner}, who "
                f"bypasses its policies: callers read every tenant's rows through the view",
                model_ddl.create_view(view),
                view.provenance,
                target=key,
            )


def _bypasses(model: SchemaModel, view: View, table: Table) -> bool:
    """Whether the view's owner is exempt from ``table``'s policies (PostgreSQL's rules)."""
    role = model.roles.get(view.owner or "")
    if role is not None and (role.superuser or role.bypass_rls):
        return True
    same_owner = view.owner is None or table.owner is None or view.owner == table.owner
    return same_owner and not table.rls_forced
