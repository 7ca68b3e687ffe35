"""A sequence: its owner and exactly the privileges its ACL grants (``init`` writes both).

``GRANT UPDATE ON SEQUENCE`` lets a role move it with ``setval``; a ``REVOKE USAGE``
breaks every INSERT relying on its ``nextval()`` default. Both change the ACL and FAIL
against an exact ``grants:``.

Its options (what ``init`` writes): ``type``, ``start``, ``increment``, ``minvalue``,
``maxvalue``, ``cache``, ``cycle`` as pg_sequence holds them, and ``owned_by`` (the
``table.column`` it belongs to, dropped with it; null = none). Each is compared when stated:
an ``ALTER SEQUENCE … INCREMENT``/``MAXVALUE``/``CYCLE``/``OWNED BY`` after init FAILs.

```yaml
sequences:
  invoices_id_seq: {grants: {app: [USAGE]}, increment: 1, owned_by: invoices.id}
```
"""

from __future__ import annotations

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Diff, Finding, finding_for, missing
from schema_audit.enums import Status
from schema_audit.kinds import _acl, requirement_kind
from schema_audit.model import qualify
from schema_audit.spec.fragments import req_schema, string
from schema_audit.spec.model import Requirement

SCHEMA = req_schema(
    {
        "schema": string("Schema (default: defaults.schema)."),
        "owner": _acl.OWNER_SCHEMA,
        "grants": _acl.GRANTS_SCHEMA,
        "type": {"enum": ["smallint", "integer", "bigint"], "description": "AS type."},
        "start": {"type": "integer", "description": "START WITH."},
        "increment": {"type": "integer", "description": "INCREMENT BY."},
        "minvalue": {"type": "integer", "description": "MINVALUE."},
        "maxvalue": {"type": "integer", "description": "MAXVALUE."},
        "cache": {"type": "integer", "description": "CACHE."},
        "cycle": {"type": "boolean", "description": "true = CYCLE."},
        "comment": {
            "type": ["string", "null"],
            "description": "Its COMMENT (null = none); compared when stated.",
        },
        "owned_by": {
            "type": ["string", "null"],
            "description": "OWNED BY table.column (the table in the sequence's schema); "
            "null = owned by no column.",
        },
    },
    "A sequence requirement; {} only requires existence.",
)


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    target = qualify(req.schema, req.name or "")
    return [Facet("sequence", target), Facet("privilege"), Facet("owner", target)]


@requirement_kind(
    id="sequence",
    name="Sequence",
    title="Sequences",
    group="security",
    hint="GRANT / REVOKE / ALTER SEQUENCE … OWNER TO to match the spec",
    spec="sequences.<sequence>",
    schema=SCHEMA,
    facets=facets,
)
def check_sequence(req: Requirement, ctx: AuditContext) -> Finding:
    key = qualify(req.schema, req.name or "")
    sequence = ctx.model.sequences.get(key)
    if sequence is None:
        return finding_for(
            req,
            Status.FAIL,
            f"sequence {key} does not exist",
            diffs=[missing()],
            evidence=ctx.absence_evidence(None, f"sequence {key}"),
        )
    diffs = [
        Diff(prop, req.props[prop], actual)
        for prop, actual in (
            ("type", sequence.data_type),
            ("start", sequence.start),
            ("increment", sequence.increment),
            ("minvalue", sequence.minvalue),
            ("maxvalue", sequence.maxvalue),
            ("cache", sequence.cache),
            ("cycle", sequence.cycle),
            ("owned_by", sequence.owned_by),
        )
        if prop in req.props and req.props[prop] != actual
    ]
    if "comment" in req.props and (req.props["comment"] or None) != (sequence.comment or None):
        diffs.append(Diff("comment", req.props["comment"], sequence.comment))
    return _acl.judge(
        req,
        f"sequence {key}",
        sequence.owner,
        sequence.grants,
        diffs,
        _acl.catalog_kind(ctx, "sequences"),
    )
