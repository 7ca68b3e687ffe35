"""Idempotency: the same natural key inserted twice is refused.

Setup: one row. Then a second row with the same values in ``columns:`` (the other
columns fresh) is inserted: PostgreSQL must refuse it (a unique constraint or
index over those columns). A duplicate accepted FAILs the probe.

Spec:

```yaml
probes:
  payments_idempotent: {kind: idempotency, table: payments, columns: [idempotency_key]}
```
"""

from __future__ import annotations

from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.enums import Status
from schema_audit.probes.common import ProbeContext, Trace, attempt, connect, error_line, table_of
from schema_audit.probes.kinds import probe
from schema_audit.probes.synth import RowMaker, SynthesisError
from schema_audit.spec.model import Requirement


@probe(
    id="idempotency",
    name="idempotency",
    protects="a natural key (an idempotency key, an external id) is stored once",
    severity="high",
    hint="a UNIQUE constraint (or unique index) on the natural key columns",
)
def probe_idempotency(ctx: ProbeContext, req: Requirement) -> Finding:
    table = table_of(ctx, req)
    columns = req.props.get("columns") or []
    if table is None or not columns or any(c not in table.columns for c in columns):
        missing = [c for c in columns if table is None or c not in table.columns]
        return finding_for(
            req,
            Status.FAIL,
            f"idempotency probe: {req.table} lacks natural key column(s) {', '.join(missing) or '?'}",
            diffs=[Diff("columns", columns, None)],
        )
    trace = Trace()
    with connect(ctx) as conn:
        try:
            maker = RowMaker(conn, ctx.model)
            first = maker.insert(table, {})
            key = {c: first[c] for c in columns}
            for statement in maker.statements:
                trace.add(statement, "ok (setup)")
            values = maker.values(table, key)
            ok, _, err = attempt(conn, trace, RowMaker._insert_sql(table, values, returning=False))
        except SynthesisError as exc:
            return finding_for(
                req,
                Status.DEFERRED,
                f"idempotency probe could not set up data: {exc}",
                evidence=trace.evidence,
            )
        finally:
            conn.rollback()
    if ok:
        return finding_for(
            req,
            Status.FAIL,
            f"inserting the same ({', '.join(columns)}) twice into {table.name} succeeded",
            diffs=[Diff("duplicate_rejected", True, False)],
            evidence=trace.evidence,
        )
    return finding_for(
        req,
        Status.PASS,
        f"a duplicate ({', '.join(columns)}) in {table.name} is rejected: {error_line(err)}",
        evidence=trace.evidence,
    )
