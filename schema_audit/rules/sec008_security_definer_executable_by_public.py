"""Every role may EXECUTE a SECURITY DEFINER function, which runs with its owner's rights.

Judged on effective privileges: PostgreSQL gives PUBLIC EXECUTE on every new function
unless it is revoked (or `ALTER DEFAULT PRIVILEGES … REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC`
ran before the function was created).

Fires on:

```sql
CREATE FUNCTION purge(t uuid) RETURNS void LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog AS $$ DELETE FROM public.events WHERE tenant_id = t $$;
-- no REVOKE EXECUTE … FROM PUBLIC: any role can delete any tenant's events
```
"""

from __future__ import annotations

from collections.abc import Iterator

from schema_audit import model_ddl
from schema_audit.audit import privileges
from schema_audit.model import SchemaModel, qualify
from schema_audit.rules import Hit, rule


@rule(
    id="SEC008",
    name="security-definer-executable-by-public",
    group="security",
    severity="high",
    hint="REVOKE EXECUTE ON FUNCTION … FROM PUBLIC and GRANT it to the roles that need it: "
    "it runs with its owner's rights",
)
def check(model: SchemaModel, options: object) -> Iterator[Hit]:
    for signature, fn in sorted(model.functions.items()):
        if fn.security_definer and privileges.routine_execute(model, fn, "public") is not None:
            yield Hit(
                signature,
                None,
                f"{signature} is SECURITY DEFINER and every role can EXECUTE it "
                f"(owner {fn.owner or 'unknown'}'s rights)",
                model_ddl.create_function(fn),
                fn.provenance,
                target=qualify(fn.schema, fn.name),
            )
