"""A behavioural probe: something only running SQL on a scratch database can settle
(tenant isolation as the application role, immutability, an ON DELETE action, a
natural key's idempotency, a query plan, a downgrade, the migration head). Without
``--replay`` it is DEFERRED; with it, ``schema_audit/probes/`` runs it.

```yaml
probes:
  invoices_isolated: {kind: tenant_isolation, table: invoices}
```
"""

from __future__ import annotations

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Evidence, Finding, finding_for
from schema_audit.enums import Status
from schema_audit.kinds import requirement_kind
from schema_audit.spec.fragments import req_schema, string, strings
from schema_audit.spec.model import Requirement

SCHEMA = req_schema(
    {
        "kind": {
            "enum": [
                "tenant_isolation",
                "immutability",
                "referential_action",
                "idempotency",
                "query_plan",
                "rollback",
                "migration_head",
            ],
            "description": "Behavioural probe run on a scratch database (--replay).",
        },
        "table": string("Table the probe exercises."),
        "parent": string("Parent table (referential_action)."),
        "expect": string(
            "Expected outcome, e.g. CASCADE, SET NULL, RESTRICT, rejected, index name."
        ),
        "query": string("Query to EXPLAIN (query_plan)."),
        "index": string("Index the plan must use (query_plan)."),
        "columns": strings("Natural key columns (idempotency)."),
        "setting": string(
            "Tenant setting name (tenant_isolation), default from settings.tenant_setting."
        ),
    },
    "A behavioural probe; DEFERRED unless the audit replays into a scratch database.",
    ["kind"],
)


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    return []  # settled only by --replay: DEFERRED already


@requirement_kind(
    id="probe",
    name="Behavioural probe",
    title="Behavioural probes",
    group="probes",
    hint="run with --replay to settle, or fix what the probe shows",
    spec="probes.<name>",
    schema=SCHEMA,
    facets=facets,
)
def check_probe(req: Requirement, ctx: AuditContext) -> Finding:
    """Behavioural probes need a scratch database; without one they are DEFERRED."""
    kind = req.props["kind"].replace("_", " ")
    return finding_for(
        req,
        Status.DEFERRED,
        f"{kind} probe on {req.table or 'the schema'} requires a live scratch database (run with --replay)",
        evidence=[Evidence(source="spec", note="behavioural probe: settled only by --replay")],
    )
