"""A foreign key's referencing columns lead no non-partial index.

Deleting or updating a referenced row then scans the referencing table, and so do
joins along the key.

Fires on:

```sql
CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id));  -- no index on parent_id
```
"""

from __future__ import annotations

from collections.abc import Iterator

from schema_audit.audit import indexsem
from schema_audit.model import SchemaModel, qualify
from schema_audit.rules import Hit, rule


@rule(
    id="PERF001",
    name="foreign-key-without-index",
    group="perf",
    severity="moderate",
    hint="index the referencing columns (leading columns of a non-partial index) so deletes and joins do not scan",
)
def check(model: SchemaModel, options: object) -> Iterator[Hit]:
    for key, table in sorted(model.tables.items()):
        for fk in sorted(table.foreign_keys.values(), key=lambda f: f.name):
            if indexsem.is_covered(table, fk.columns):
                continue
            near = [
                f"{ix.name} does not serve lookups by {', '.join(fk.columns)} "
                f"({indexsem.serves_lookup(ix, fk.columns, table).why_not})"
                for ix in sorted(table.indexes.values(), key=lambda i: i.name)
                if set(fk.columns) & set(ix.column_names)
            ]
            note = f"; {'; '.join(near)}" if near else ""
            yield Hit(
                f"{key}.{fk.name}",
                table.name,
                f"{fk.name} ({', '.join(fk.columns)}) has no covering index{note}",
                f"CREATE INDEX ON {qualify(table.schema, table.name)} ({', '.join(fk.columns)});",
                fk.provenance,
                target=key,
            )
