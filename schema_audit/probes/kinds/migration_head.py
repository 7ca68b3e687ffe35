"""Migration head: the replayed database is at the history's head.

After an Alembic replay, ``alembic_version`` must hold exactly the history's heads:
an ``env.py`` that swallows a failed revision, or a history with a revision that
never ran, leaves it behind. A SQL folder has no version table: every file applied
is the head.

Spec:

```yaml
probes:
  migration_head: {kind: migration_head}
```
"""

from __future__ import annotations

import psycopg

from schema_audit.audit.findings import Diff, Evidence, Finding, finding_for
from schema_audit.enums import Status
from schema_audit.probes.common import ProbeContext, error_line
from schema_audit.probes.kinds import probe
from schema_audit.spec.model import Requirement


@probe(
    id="migration_head",
    name="migration head",
    protects="the database the history builds is at its head (no revision silently skipped)",
    severity="high",
    hint="make env.py stop on a failed revision; merge multiple heads",
)
def probe_migration_head(ctx: ProbeContext, req: Requirement) -> Finding:
    if ctx.source_kind != "alembic":
        return finding_for(
            req,
            Status.PASS,
            "every SQL migration file applied",
            evidence=[Evidence(source="probe", note="replay")],
        )
    with psycopg.connect(ctx.dsn) as conn:
        try:
            versions = sorted(
                r[0] for r in conn.execute("SELECT version_num FROM alembic_version").fetchall()
            )
        except psycopg.Error as exc:
            return finding_for(
                req, Status.FAIL, f"no alembic_version table after replay: {error_line(exc)}"
            )
    evidence = [
        Evidence(
            source="probe", sql="SELECT version_num FROM alembic_version", note=", ".join(versions)
        )
    ]
    if versions == sorted(ctx.heads):
        return finding_for(
            req, Status.PASS, f"alembic current = head ({', '.join(versions)})", evidence=evidence
        )
    return finding_for(
        req,
        Status.FAIL,
        f"alembic current is {', '.join(versions) or 'empty'}, head is {', '.join(ctx.heads)}",
        diffs=[Diff("version", ctx.heads, versions)],
        evidence=evidence,
    )
