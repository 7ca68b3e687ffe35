"""An enum type and its labels: exactly these, in this order (``values``), or at
least these (``includes``). A removed or renamed label breaks every row and query
that used it; the catalog keeps labels in sort order, so ``values`` compares the
order too.

Its ``owner`` and exact ``grants`` (USAGE; PUBLIC holds it unless revoked) are compared
as for sequences (``init`` writes both): an ``ALTER TYPE … OWNER TO`` or a ``GRANT``/
``REVOKE … ON TYPE`` after init FAILs; an owner a history does not name is DEFERRED.

```yaml
enums:
  invoice_status: {values: [draft, issued, paid, void], grants: {public: [USAGE]}}
```
"""

from __future__ import annotations

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Diff, Evidence, Finding, finding_for, missing
from schema_audit.kinds import _acl, requirement_kind
from schema_audit.kinds._common import COMMENT_PROP, comment_diffs
from schema_audit.model import qualify
from schema_audit.spec.fragments import req_schema, string, strings
from schema_audit.spec.model import Requirement

SCHEMA = req_schema(
    {
        "schema": string("Schema (default: defaults.schema)."),
        "values": strings(
            "Exactly these labels, in this order (a removed, added or reordered label FAILs)."
        ),
        "includes": strings("At least these labels (others may exist)."),
        "owner": _acl.OWNER_SCHEMA,
        "grants": _acl.GRANTS_SCHEMA,
        "comment": COMMENT_PROP,
    },
    "An enum type requirement; {} only requires existence.",
)


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    # CREATE TYPE … AS ENUM / ALTER TYPE … ADD VALUE / RENAME (sources/effects.py: kind "type");
    # without it an enum an unapplied DO block creates FAILed "does not exist" statically
    target = qualify(req.schema, req.name or "")
    out = [Facet("type", target)] + ([Facet("privilege")] if "grants" in req.props else [])
    return out + ([Facet("owner", target)] if "owner" in req.props else [])


@requirement_kind(
    id="enum",
    name="Enum type",
    title="Enum types",
    group="objects",
    hint="ALTER TYPE … ADD VALUE (or recreate the type) in a new migration",
    spec="enums.<type>",
    schema=SCHEMA,
    facets=facets,
)
def check_enum(req: Requirement, ctx: AuditContext) -> Finding:
    key = qualify(req.schema, req.name or "")
    enum = ctx.model.enums.get(key)
    if enum is None:
        return finding_for(
            req,
            "FAIL",
            f"enum type {key} does not exist",
            diffs=[missing()],
            evidence=ctx.absence_evidence(None, f"enum type {key}"),
        )
    ddl = f"CREATE TYPE {key} AS ENUM ({', '.join(repr(v) for v in enum.labels)});"
    evidence = ctx.evidence(enum.provenance, ddl)
    props = req.props
    diffs: list[Diff] = []
    problems: list[str] = []
    if "values" in props and list(props["values"]) != enum.labels:
        diffs.append(Diff("values", list(props["values"]), enum.labels))
        gone = [v for v in props["values"] if v not in enum.labels]
        extra = [v for v in enum.labels if v not in props["values"]]
        detail = []
        if gone:
            detail.append(f"missing {', '.join(gone)}")
        if extra:
            detail.append(f"not required {', '.join(extra)}")
        problems.append(", ".join(detail) or "labels in another order")
    if "includes" in props:
        gone = [v for v in props["includes"] if v not in enum.labels]
        if gone:
            diffs.append(Diff("includes", list(props["includes"]), enum.labels))
            problems.append(f"missing {', '.join(gone)}")
    owner, unknown_owner = _acl.owner_diff(props.get("owner"), enum.owner)
    if owner is not None:
        diffs.append(owner)
        problems.append(f"owner is {enum.owner}, expected {owner.expected}")
    acl_diff = (
        _acl.grants_diff(
            props["grants"],
            enum.grants,
            enum.owner,
            props.get("owner"),
            _acl.catalog_kind(ctx, "types"),
        )
        if "grants" in props
        else None
    )
    if acl_diff is not None:
        diffs.append(acl_diff)
        problems.append(_acl.grants_detail(acl_diff))
    for diff in comment_diffs(props, enum.comment):  # COMMENT ON TYPE
        diffs.append(diff)
        problems.append(f"comment is {enum.comment!r}, expected {diff.expected!r}")
    if diffs:
        return finding_for(
            req,
            "FAIL",
            f"enum {key}: {'; '.join(problems)} (labels: {', '.join(enum.labels)})",
            diffs=diffs,
            evidence=evidence or [Evidence(source=ctx.evidence_kind(), sql=ddl)],
            ddl=ddl,
        )
    if unknown_owner:
        return finding_for(
            req,
            "DEFERRED",
            f"enum {key}: owner {props['owner']} cannot be decided: {_acl.UNKNOWN_OWNER}",
            evidence=evidence,
            ddl=ddl,
        )
    return finding_for(
        req, "PASS", f"enum {key}: {', '.join(enum.labels)}", evidence=evidence, ddl=ddl
    )
