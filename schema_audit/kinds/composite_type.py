"""A composite type (CREATE TYPE … AS (…)): its attributes in order, each ``name type`` as
format_type prints it (with COLLATE when not the type's own), its comment and owner. An
attribute added, dropped, retyped or reordered after ``init`` FAILs; before, composite types
were not read at all and each such change passed.

```yaml
composite_types:
  pair: {attributes: [a integer, b text], comment: null}
```

The static reader does not model composite types: against a migration history the entry
is DEFERRED, never PASS.
"""

from __future__ import annotations

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Diff, Finding, describe_diffs, finding_for, missing
from schema_audit.enums import Status
from schema_audit.kinds import _acl, requirement_kind
from schema_audit.kinds._acl import type_grants_diff
from schema_audit.kinds._common import COMMENT_PROP, comment_diffs
from schema_audit.model import qualify
from schema_audit.spec.fragments import req_schema, string, strings
from schema_audit.spec.model import Requirement

# why a history's reading DEFERs a composite type entry and strict.composite_types
UNKNOWN_COMPOSITES = "the static reader does not model composite types (compare with --dsn)"

SCHEMA = req_schema(
    {
        "schema": string("Its schema, when the key is not schema.name."),
        "attributes": strings("Every attribute in order: 'name type' as format_type prints it."),
        "comment": COMMENT_PROP,
        "owner": _acl.OWNER_SCHEMA,
        "grants": _acl.GRANTS_SCHEMA,
    },
    "A composite type requirement; {} only requires existence.",
)


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model."""
    return [Facet("type", qualify(req.schema, req.name or ""))]


@requirement_kind(
    id="composite_type",
    name="Composite type",
    title="Composite types",
    group="objects",
    hint="ALTER TYPE … ADD / DROP / ALTER ATTRIBUTE in a new migration",
    spec="composite_types.<type>",
    schema=SCHEMA,
    facets=facets,
)
def check_composite_type(req: Requirement, ctx: AuditContext) -> Finding:
    key = qualify(req.schema, req.name or "")
    composite = ctx.model.composites.get(key)
    if composite is None and ctx.is_static():
        return finding_for(req, Status.DEFERRED, f"composite type {key}: {UNKNOWN_COMPOSITES}")
    if composite is None:
        return finding_for(
            req,
            Status.FAIL,
            f"composite type {key} does not exist",
            diffs=[missing()],
            evidence=ctx.absence_evidence(None, f"composite type {key}"),
        )
    diffs: list[Diff] = []
    wanted = req.props.get("attributes")
    if wanted is not None and [" ".join(str(a).split()) for a in wanted] != [
        " ".join(a.split()) for a in composite.attributes
    ]:
        diffs.append(Diff("attributes", list(wanted), list(composite.attributes)))
    diffs += comment_diffs(req.props, composite.comment)
    owner, _ = _acl.owner_diff(req.props.get("owner"), composite.owner)
    if owner is not None:
        diffs.append(owner)
    diffs += type_grants_diff(req.props, composite)
    if diffs:
        return finding_for(
            req, Status.FAIL, f"composite type {key}: {describe_diffs(diffs)}", diffs=diffs
        )
    return finding_for(
        req, Status.PASS, f"composite type {key} ({', '.join(composite.attributes)})"
    )
