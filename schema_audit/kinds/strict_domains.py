"""Strict mode for the set of domains: a domain in the covered schemas that no ``domains:``
entry requires FAILs (``CREATE DOMAIN`` after ``init`` passed its "exactly" spec). Written by
``init --dsn``; judged against a migration history too (the static reader models domains).

```yaml
strict:
  domains: true
```
"""

from __future__ import annotations

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet, in_schemas
from schema_audit.audit.findings import Finding
from schema_audit.kinds import requirement_kind
from schema_audit.kinds._unrequired import judge_catalog_only_set
from schema_audit.spec.model import Requirement


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model."""
    return [Facet("type", schemas=in_schemas(req))]


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
    return judge_catalog_only_set(req, ctx, "domain", ctx.model.domains, "domains", None)
