"""A table without a primary key (foreign tables and partitions excepted).

A partitioned table answers for its partitions, which inherit its key.

Fires on:

```sql
CREATE TABLE heap (x int);
```
"""

from __future__ import annotations

from collections.abc import Iterator

from schema_audit.model import SchemaModel
from schema_audit.rules import Hit, rule


@rule(
    id="SCH001",
    name="table-without-primary-key",
    group="schema",
    severity="moderate",
    hint="add a primary key",
)
def check(model: SchemaModel, options: object) -> Iterator[Hit]:
    for key, table in sorted(model.tables.items()):
        if table.primary_key is None and table.kind != "foreign" and not table.partition_of:
            yield Hit(
                key,
                table.name,
                f"{table.name} has no primary key",
                None,
                table.provenance,
                target=key,
            )
