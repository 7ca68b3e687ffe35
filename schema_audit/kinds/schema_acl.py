"""A schema: its owner and exactly the privileges its ACL grants (``init`` writes both).

A ``GRANT CREATE ON SCHEMA app TO web`` lets that role put a function or table in front of
the ones a ``SECURITY DEFINER`` function's ``search_path`` finds; a ``REVOKE USAGE`` locks
the application out. Both change the ACL and FAIL against an exact ``grants:``.

```yaml
schemas:
  public: {owner: pg_database_owner, grants: {public: [USAGE]}}
  billing: {grants: {app: [USAGE]}}
```
"""

from __future__ import annotations

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Finding, finding_for, missing
from schema_audit.enums import Status
from schema_audit.kinds import _acl, requirement_kind
from schema_audit.kinds._common import COMMENT_PROP, comment_diffs
from schema_audit.spec.fragments import req_schema
from schema_audit.spec.model import Requirement

SCHEMA = req_schema(
    {"owner": _acl.OWNER_SCHEMA, "grants": _acl.GRANTS_SCHEMA, "comment": COMMENT_PROP},
    "A schema requirement; {} only requires existence.",
)


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    return [Facet("schema", req.name or "*"), Facet("privilege"), Facet("owner")]


@requirement_kind(
    id="schema",
    name="Schema",
    title="Schemas",
    group="security",
    hint="GRANT / REVOKE / ALTER SCHEMA … OWNER TO to match the spec",
    spec="schemas.<schema>",
    schema=SCHEMA,
    facets=facets,
)
def check_schema(req: Requirement, ctx: AuditContext) -> Finding:
    name = req.name or ""
    model = ctx.model
    if name not in model.schemas and name not in model.schema_grants:
        return finding_for(
            req,
            Status.FAIL,
            f"schema {name} does not exist",
            diffs=[missing()],
            evidence=ctx.absence_evidence(None, f"schema {name}"),
        )
    # a schema the source saw created but whose grants it never recorded has none
    return _acl.judge(
        req,
        f"schema {name}",
        model.schemas.get(name),
        model.schema_grants.get(name, []),
        comment_diffs(req.props, model.schema_comments.get(name)),
        _acl.catalog_kind(ctx, "schemas"),
    )
