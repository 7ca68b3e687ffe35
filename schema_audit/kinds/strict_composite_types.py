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
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.enums import Status
from schema_audit.kinds import requirement_kind
from schema_audit.kinds._unrequired import unrequired
from schema_audit.kinds.composite_type import UNKNOWN_COMPOSITES
from schema_audit.spec.model import Requirement


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model."""
    return [Facet("type")]


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
    if ctx.is_static() and ctx.of_kind("composite_type"):
        # the entries cannot be judged from a history; with none, a history that made such a
        # type has an unapplied statement, and the facet DEFERs this finding
        return finding_for(req, Status.DEFERRED, UNKNOWN_COMPOSITES, name="composite_types")
    extra, schemas = unrequired(req, ctx, ("composite_type",), ctx.model.composites)
    if extra:
        return finding_for(
            req,
            Status.FAIL,
            f"composite types the spec does not require: {', '.join(extra)}",
            diffs=[Diff("composite_types", "only the required ones", extra)],
            name="composite_types",
        )
    return finding_for(
        req,
        Status.PASS,
        f"exactly the required composite types in {', '.join(sorted(schemas))}",
        name="composite_types",
    )
