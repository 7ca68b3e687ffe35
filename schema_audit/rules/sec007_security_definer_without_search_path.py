"""A SECURITY DEFINER function does not pin its search_path.

A caller who can create objects in a schema on the path can make the function,
running with its owner's rights, resolve a name to their own object.

Fires on:

```sql
CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;
```
"""

from __future__ import annotations

from collections.abc import Iterator

from schema_audit import model_ddl
from schema_audit.model import SchemaModel, qualify
from schema_audit.rules import Hit, rule


@rule(
    id="SEC007",
    name="security-definer-without-search-path",
    group="security",
    severity="high",
    hint="SECURITY DEFINER functions must pin search_path (SET search_path = pg_catalog, …)",
)
def check(model: SchemaModel, options: object) -> Iterator[Hit]:
    for signature, fn in sorted(model.functions.items()):
        if fn.security_definer and not any(c.lower().startswith("search_path=") for c in fn.config):
            yield Hit(
                signature,
                None,
                f"{signature} is SECURITY DEFINER without SET search_path",
                model_ddl.create_function(fn),
                fn.provenance,
                target=qualify(fn.schema, fn.name),
            )
