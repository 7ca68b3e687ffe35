"""Strict mode for the set of views: a view or materialized view in the covered schemas
that no ``views:`` / ``materialized_views:`` entry requires FAILs (``strict.tables`` covers
tables only, so a view added after ``init`` passed its "exactly" spec).

```yaml
strict:
  tables: true
  views: true
  schemas: [public, billing]
```
"""

from __future__ import annotations

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.enums import Status
from schema_audit.kinds import requirement_kind
from schema_audit.model import qualify
from schema_audit.spec.model import Requirement

VIEW_KINDS = ("view", "materialized_view")


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    return [Facet("exists")]


@requirement_kind(
    id="strict_views",
    name="Exactly these views",
    title="Unexpected views",
    group="strict",
    hint="drop the view, or require it (or allow: it) in the spec",
    spec="strict.views",
    last=True,
    facets=facets,
)
def check_strict_views(req: Requirement, ctx: AuditContext) -> Finding:
    model, spec = ctx.model, ctx.spec
    required = {
        qualify(r.schema, r.table or "")
        for r in spec.requirements
        if r.kind in VIEW_KINDS and not r.id.startswith("match.")
    }
    allowed = {
        qualify(spec.default_schema, a) if "." not in a else a for a in req.props.get("allow") or []
    }
    schemas = set(req.props["schemas"])
    extra = sorted(
        k for k, v in model.views.items() if v.schema in schemas and k not in required | allowed
    )
    if extra:
        return finding_for(
            req,
            Status.FAIL,
            f"views the spec does not require: {', '.join(extra)}",
            diffs=[Diff("views", "only the required ones", extra)],
            name="views",
        )
    return finding_for(
        req,
        Status.PASS,
        f"exactly the required views in {', '.join(sorted(schemas))}",
        name="views",
    )
