"""A table that must NOT exist (dropped by design, or never to be created).

```yaml
absent_tables: [legacy_sessions, public.tmp_import]
```
"""

from __future__ import annotations

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.enums import PASS, Status
from schema_audit.kinds import requirement_kind
from schema_audit.model import qualify
from schema_audit.spec.model import Requirement


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    target = qualify(req.schema, req.table) if req.table else "*"
    return [Facet("exists", target)]


@requirement_kind(
    id="absent_table",
    name="Table that must not exist",
    title="Tables that must not exist",
    group="tables",
    hint="drop the table in a new migration (or remove it from absent_tables)",
    spec="absent_tables[]",
    facets=facets,
    facets_on_table=True,
)
def check_absent_table(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    label = qualify(req.schema, req.table or "")
    if table is None:
        return finding_for(req, PASS, f"table {label} does not exist, as required")
    return finding_for(
        req,
        Status.FAIL,
        f"table {label} exists but must not",
        diffs=[Diff("exists", False, True)],
        evidence=ctx.evidence(table.provenance, ctx.table_ddl(table)),
        ddl=ctx.table_ddl(table),
    )
