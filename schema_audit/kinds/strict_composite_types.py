"""Strict mode for the set of composite types: one in the covered schemas that no
``composite_types:`` entry requires FAILs (``CREATE TYPE … AS (…)`` after ``init``). Written
by ``init --dsn`` only; against a migration history DEFERRED.

```yaml
strict:
  composite_types: true
```
"""

from __future__ import annotations

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet, in_schemas
from schema_audit.audit.findings import Finding
from schema_audit.kinds import requirement_kind
from schema_audit.kinds._unrequired import judge_catalog_only_set
from schema_audit.kinds.composite_type import UNKNOWN_COMPOSITES
from schema_audit.spec.model import Requirement


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model."""
    return [Facet("type", schemas=in_schemas(req))]


@requirement_kind(
    id="strict_composite_types",
    name="Exactly these composite types",
    title="Unexpected composite types",
    group="strict",
    hint="drop the type, or require it (or allow: it) in the spec",
    spec="strict.composite_types",
    last=True,
    facets=facets,
)
def check_strict_composite_types(req: Requirement, ctx: AuditContext) -> Finding:
    return judge_catalog_only_set(
        req, ctx, "composite_type", ctx.model.composites, "composite types", UNKNOWN_COMPOSITES
    )
