"""An index whose keys are a prefix of another index's keys, with the same predicate and method.

Every write maintains both; the longer one serves every lookup the shorter one does.

Fires on:

```sql
CREATE INDEX t_a ON t (tenant_id);
CREATE INDEX t_b ON t (tenant_id, id);  -- t_a is a prefix of t_b
```
"""

from __future__ import annotations

from collections.abc import Iterator

from schema_audit import model_ddl
from schema_audit.audit import indexsem
from schema_audit.model import SchemaModel
from schema_audit.rules import Hit, rule


@rule(
    id="PERF002",
    name="redundant-index",
    group="perf",
    severity="low",
    hint="an index whose keys are a prefix of another's (same predicate) is redundant: drop it",
)
def check(model: SchemaModel, options: object) -> Iterator[Hit]:
    for key, table in sorted(model.tables.items()):
        indexes = sorted(table.indexes.values(), key=lambda ix: ix.name)
        for small in indexes:
            big = next((b for b in indexes if indexsem.redundant_with(small, b)), None)
            if big is not None:
                yield Hit(
                    f"{key}.{small.name}",
                    table.name,
                    f"{small.name} is redundant with {big.name}",
                    model_ddl.create_index(small, table.schema, table.name),
                    small.provenance,
                    target=key,
                )
