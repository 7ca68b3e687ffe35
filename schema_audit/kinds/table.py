"""A table that must exist, with its comment and storage options.

```yaml
tables:
  invoices:
    comment: one row per issued invoice
    partition_of: invoices_all   # a partition of that table (DETACH FAILs)
    options: {fillfactor: 70}
    owner: billing_owner   # DEFERRED when a migration history does not name the owner
```

Its columns, constraints, indexes, RLS, policies, triggers and privileges are
requirements of their own kinds, each the child of this one: when the table is
missing they are NOT_APPLICABLE (one FAIL for the table, not a cascade).
"""

from __future__ import annotations

from schema_audit.audit import nearmiss
from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import (
    Diff,
    Evidence,
    Finding,
    describe_diffs,
    finding_for,
    lazy_finding,
    missing,
)
from schema_audit.audit.options import option_diffs
from schema_audit.audit.tables import show_scalar
from schema_audit.enums import Status
from schema_audit.kinds import _acl, requirement_kind
from schema_audit.model import SchemaModel, Table, qualify
from schema_audit.spec.model import Requirement


def same_parent(expected: str, actual: str | None, default_schema: str) -> bool:
    """Whether the model's parent key (``schema.name``: quoted where PostgreSQL needs it when
    read from files, bare from the catalog) is the spec's ``partition_of`` (``parent`` in the
    default schema, or ``schema.parent``)."""
    if actual is None:
        return False
    schema, _, name = expected.partition(".") if "." in expected else ("", "", expected)
    schema = schema or default_schema
    return actual in (qualify(schema, name), f"{schema}.{name}")


def recommend(f: Finding, req: Requirement | None, model: SchemaModel) -> str:
    """Create a missing table; an existing one only needs ALTER (owner, comment, options)."""
    name = f.table or ""
    if any(d.property == "exists" for d in f.diffs) or not f.diffs:
        return f"Create table {name} (or update the guide if the design deliberately dropped it)"
    what = ", ".join(sorted({d.property for d in f.diffs}))
    return (
        f"ALTER TABLE {name} to match the spec ({what}), or update the spec if the design changed"
    )


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    target = qualify(req.schema, req.table) if req.table else "*"
    return [Facet("exists", target), Facet("owner", target)]


@requirement_kind(
    id="table",
    name="Required table",
    title="Tables",
    group="tables",
    hint="create the table, or ALTER it (owner, comment, storage options), in a new migration "
    "(or update the spec if the design changed)",
    spec="tables.<table>",
    recommend=recommend,
    facets=facets,
)
def check_table(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    label = qualify(req.schema, req.table or "")
    if table is None:
        return finding_for(
            req,
            Status.FAIL,
            f"table {label} does not exist",
            diffs=[missing()],
            evidence=ctx.absence_evidence(None, f"table {label}"),
            instead=nearmiss.relation_candidates(req, ctx),
        )
    status, message = Status.PASS, f"table {label} exists"
    diffs: list[Diff] = []
    comment = req.props.get("comment")
    if comment is not None and (table.comment or "") != comment:
        status, message = Status.FAIL, f"table {label}: comment differs"
        diffs.append(Diff("comment", comment, table.comment))
    optional = option_diffs(req.props.get("options") or {}, table.options, table.unlogged)
    if optional:
        detail = describe_diffs(optional, show_scalar)
        message = f"{message}; {detail}" if status == Status.FAIL else f"table {label}: {detail}"
        status = Status.FAIL
        diffs += optional
    parent = req.props.get("partition_of")
    if parent is not None and not same_parent(parent, table.partition_of, ctx.spec.default_schema):
        detail = f"partition of {table.partition_of or 'nothing'}, expected {parent}"
        message = f"{message}; {detail}" if status == Status.FAIL else f"table {label}: {detail}"
        status = Status.FAIL
        diffs.append(Diff("partition_of", parent, table.partition_of))
    owner, unknown_owner = _acl.owner_diff(req.props.get("owner"), table.owner)
    if owner is not None:
        detail = f"owner is {table.owner}, expected {owner.expected}"
        message = f"{message}; {detail}" if status == Status.FAIL else f"table {label}: {detail}"
        status = Status.FAIL
        diffs.append(owner)
    elif unknown_owner and status == Status.PASS:
        status = Status.DEFERRED
        message = f"table {label} exists; owner {req.props['owner']} cannot be decided: {_acl.UNKNOWN_OWNER}"
    if status == Status.PASS:
        return lazy_finding(req, status, _text, ctx, table, message)
    message, evidence, ddl = _text(ctx, table, message)
    return finding_for(req, status, message, diffs=diffs, evidence=evidence, ddl=ddl)


def _text(ctx: AuditContext, table: Table, message: str) -> tuple[str, list[Evidence], str]:
    """The finding's message, evidence and DDL (a PASS's when a report first reads them)."""
    ddl = ctx.table_ddl(table)
    return message, ctx.evidence(table.provenance, ddl), ddl
