"""Strict mode for the set of domains: a domain in the covered schemas that no ``domains:``
entry requires FAILs (``CREATE DOMAIN`` after ``init`` passed its "exactly" spec). Written by
``init --dsn`` only (the static reader does not model domains); against a migration history
it is DEFERRED.

```yaml
strict:
  domains: true
```
"""

from __future__ import annotations

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.enums import Status
from schema_audit.kinds import requirement_kind
from schema_audit.kinds._unrequired import unrequired
from schema_audit.kinds.domain import UNKNOWN_DOMAINS
from schema_audit.spec.model import Requirement


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model."""
    return [Facet("type")]


@requirement_kind(
    id="strict_domains",
    name="Exactly these domains",
    title="Unexpected domains",
    group="strict",
    hint="drop the domain, or require it (or allow: it) in the spec",
    spec="strict.domains",
    last=True,
    facets=facets,
)
def check_strict_domains(req: Requirement, ctx: AuditContext) -> Finding:
    if ctx.is_static() and ctx.of_kind("domain"):
        # the entries cannot be judged from a history; with none, a history that made such a
        # type has an unapplied statement, and the facet DEFERs this finding
        return finding_for(
            req,
            Status.DEFERRED,
            UNKNOWN_DOMAINS,
            name="domains",
        )
    extra, schemas = unrequired(req, ctx, ("domain",), ctx.model.domains)
    if extra:
        return finding_for(
            req,
            Status.FAIL,
            f"domains the spec does not require: {', '.join(extra)}",
            diffs=[Diff("domains", "only the required ones", extra)],
            name="domains",
        )
    return finding_for(
        req,
        Status.PASS,
        f"exactly the required domains in {', '.join(sorted(schemas))}",
        name="domains",
    )
