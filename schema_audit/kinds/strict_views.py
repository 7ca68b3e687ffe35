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
from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.enums import Status
from schema_audit.kinds import requirement_kind
from schema_audit.kinds._unrequired import facets, unrequired
from schema_audit.kinds.table import unstated_options
from schema_audit.model import qualify
from schema_audit.spec.model import Requirement

VIEW_KINDS = ("view", "materialized_view")


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
    extra, schemas = unrequired(req, ctx, VIEW_KINDS, ctx.model.views)
    if extra:
        return finding_for(
            req,
            Status.FAIL,
            f"views the spec does not require: {', '.join(extra)}",
            diffs=[Diff("views", "only the required ones", extra)],
            name="views",
        )
    # a listed view given an option (security_invoker, security_barrier, check_option, a
    # materialized view's storage parameter) or a comment its entry does not state
    unstated = sorted(
        f"{k} ({', '.join(extras)})"
        for kind in VIEW_KINDS
        for r in ctx.of_kind(kind)
        if not r.id.startswith("match.")
        for k in [qualify(r.schema, r.table or "")]
        if (v := ctx.model.views.get(k)) is not None
        and (v.options or v.comment)
        and v.schema in schemas
        and (
            extras := unstated_options(v.options, r.props)
            + (["COMMENT"] if v.comment and "comment" not in r.props else [])
        )
    )
    if unstated:
        return finding_for(
            req,
            Status.FAIL,
            f"views with options or comments the spec does not state: {', '.join(unstated)}",
            diffs=[Diff("view definitions", "only what the entries state", unstated)],
            name="views",
        )
    return finding_for(
        req,
        Status.PASS,
        f"exactly the required views in {', '.join(sorted(schemas))}",
        name="views",
    )
