"""Strict mode for the set of range types: one in the covered schemas that no
``range_types:`` entry requires FAILs (``CREATE TYPE … AS RANGE`` after ``init``). Written by
``init --dsn`` only; against a migration history DEFERRED.

```yaml
strict:
  range_types: true
```
"""

from __future__ import annotations

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet, in_schemas
from schema_audit.audit.findings import Finding
from schema_audit.kinds import requirement_kind
from schema_audit.kinds._unrequired import judge_catalog_only_set
from schema_audit.kinds.range_type import UNKNOWN_RANGES
from schema_audit.spec.model import Requirement


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model."""
    return [Facet("type", schemas=in_schemas(req))]


@requirement_kind(
    id="strict_range_types",
    name="Exactly these range types",
    title="Unexpected range types",
    group="strict",
    hint="drop the type, or require it (or allow: it) in the spec",
    spec="strict.range_types",
    last=True,
    facets=facets,
)
def check_strict_range_types(req: Requirement, ctx: AuditContext) -> Finding:
    return judge_catalog_only_set(
        req, ctx, "range_type", ctx.model.ranges, "range types", UNKNOWN_RANGES
    )
