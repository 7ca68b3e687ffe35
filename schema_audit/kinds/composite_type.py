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
from schema_audit.audit.findings import Diff, Finding
from schema_audit.kinds import _acl, requirement_kind
from schema_audit.kinds._catalog_types import judge_catalog_type
from schema_audit.kinds._common import COMMENT_PROP, type_facets
from schema_audit.model import CompositeType, qualify
from schema_audit.spec.fragments import req_schema, string, strings
from schema_audit.spec.model import Requirement
from schema_audit.sqlspace import one_line

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


@requirement_kind(
    id="composite_type",
    name="Composite type",
    title="Composite types",
    group="objects",
    hint="ALTER TYPE … ADD / DROP / ALTER ATTRIBUTE in a new migration",
    spec="composite_types.<type>",
    schema=SCHEMA,
    facets=type_facets,
)
def check_composite_type(req: Requirement, ctx: AuditContext) -> Finding:
    return judge_catalog_type(
        req,
        ctx,
        "composite type",
        ctx.model.composites.get(qualify(req.schema, req.name or "")),
        UNKNOWN_COMPOSITES,
        lambda found: _attribute_diffs(req.props, found),
        lambda found: f"({', '.join(found.attributes)})",
    )


def _attribute_diffs(props: dict, composite: CompositeType) -> list[Diff]:
    """Its attributes in order against the stated ones (whitespace between tokens aside; a
    quoted name's own is part of it)."""
    wanted = props.get("attributes")
    if wanted is not None and [one_line(str(a)) for a in wanted] != [
        one_line(a) for a in composite.attributes
    ]:
        return [Diff("attributes", list(wanted), list(composite.attributes))]
    return []
