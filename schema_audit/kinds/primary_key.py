"""The table's primary key: on exactly these columns, or (``required``) any.

```yaml
tables:
  invoices:
    primary_key: [tenant_id, id]   # or: primary_key: required
```
"""

from __future__ import annotations

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import CONSTRAINT_INDEXES, Facet
from schema_audit.audit.findings import Diff, Finding, finding_for, missing
from schema_audit.enums import Status
from schema_audit.kinds import requirement_kind
from schema_audit.model import qualify
from schema_audit.spec.model import Requirement


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    target = qualify(req.schema, req.table) if req.table else "*"
    return [Facet(k, target) for k in CONSTRAINT_INDEXES]


@requirement_kind(
    id="primary_key",
    name="Primary key",
    title="Primary keys",
    group="constraints",
    hint="ALTER TABLE … ADD PRIMARY KEY",
    spec="tables.<table>.primary_key",
    facets=facets,
)
def check_primary_key(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    assert table is not None
    expected = req.props["columns"]
    pk = table.primary_key
    if pk is None:
        return finding_for(
            req,
            Status.FAIL,
            f"table {table.name} has no primary key",
            diffs=[missing()],
            evidence=ctx.absence_evidence(table, "primary key"),
            name="primary key",
        )
    ddl = f"CONSTRAINT {pk.name} PRIMARY KEY ({', '.join(pk.columns)})"
    if expected is not None and pk.columns != expected:  # None: `primary_key: required`
        return finding_for(
            req,
            Status.FAIL,
            f"primary key of {table.name} is ({', '.join(pk.columns)}), expected ({', '.join(expected)})",
            diffs=[Diff("columns", expected, pk.columns)],
            evidence=ctx.evidence(pk.provenance, ddl),
            ddl=ddl,
            name=pk.name,
        )
    return finding_for(
        req,
        Status.PASS,
        f"primary key {pk.name} on {table.name} ({', '.join(pk.columns)})",
        evidence=ctx.evidence(pk.provenance, ddl),
        ddl=ddl,
        name=pk.name,
    )
