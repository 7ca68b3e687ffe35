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
from schema_audit.model import Index, SchemaModel
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
        for small, bigs in _pairs(indexes):
            big = next((b for b in bigs if indexsem.redundant_with(small, b)), None)
            if big is not None:
                yield Hit(
                    f"{key}.{small.name}",
                    table.name,
                    f"{small.name} is redundant with {big.name}",
                    model_ddl.create_index(small, table.schema, table.name),
                    small.provenance,
                    target=key,
                )


def _pairs(indexes: list[Index]) -> Iterator[tuple[Index, list[Index]]]:
    """Each index that may be redundant, with the indexes (by name) that may make it so.

    Only what ``indexsem.answers_for`` needs anyway, so the answer is the same: ``small``
    neither unique nor backing a constraint and with keys, ``big`` leading with ``small``'s
    first key as written. Asking every pair was most of the rule pack's time at 5,000
    tables (200,000 pairs, each rendering both indexes' keys).
    """
    leading: dict[str, list[Index]] = {}
    for ix in indexes:
        if ix.keys:
            leading.setdefault(ix.keys[0].render(), []).append(ix)
    for small in indexes:
        if small.keys and not small.unique and not small.constraint:
            yield small, leading[small.keys[0].render()]
