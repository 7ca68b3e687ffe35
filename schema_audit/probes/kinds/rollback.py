"""Rollback: every downgrade runs, and upgrade → downgrade → upgrade gives the same schema.

On a separate scratch database: ``alembic upgrade heads``, then each revision
downgraded step by step to base (a branched history: straight to base), then
``alembic upgrade heads`` again. Every step must run, and the schema read from the
catalog after the second upgrade must equal the one after the first. Only Alembic
histories have downgrades to run: on a SQL folder the probe is DEFERRED.

Spec:

```yaml
probes:
  rollback: {kind: rollback}
```
"""

from __future__ import annotations

from schema_audit.audit.findings import Diff, Evidence, Finding, finding_for
from schema_audit.enums import Status
from schema_audit.probes.common import ProbeContext
from schema_audit.probes.kinds import probe
from schema_audit.spec.model import Requirement


@probe(
    id="rollback",
    name="rollback",
    protects="a release can be rolled back: every downgrade runs and restores the schema",
    severity="moderate",
    hint="write the downgrade() of each revision so that it undoes its upgrade() exactly",
)
def probe_rollback(ctx: ProbeContext, req: Requirement) -> Finding:
    if ctx.source_kind != "alembic":
        return finding_for(
            req,
            Status.DEFERRED,
            "rollback probe: only Alembic histories have downgrades to run",
            evidence=[
                Evidence(
                    source="probe",
                    note="SQL migration folders: down files are checked to exist, not run",
                )
            ],
        )
    from schema_audit.modeldiff import diff_models
    from schema_audit.sources import live
    from schema_audit.sources.alembic import render_history
    from schema_audit.sources.replay import run_alembic

    dsn = ctx.new_database("rollback")
    history = render_history(ctx.source_path)
    files = [str(r.path) for r in history.revisions if r.path]
    evidence: list[Evidence] = []
    up = run_alembic(ctx.source_path, dsn, [("upgrade", "heads")], files=files)
    if not up.steps or up.steps[0].error:
        message = up.steps[0].error if up.steps else "no result"
        return finding_for(
            req, Status.DEFERRED, f"rollback probe: alembic upgrade heads fails: {message}"
        )
    evidence.append(Evidence(source="probe", sql="alembic upgrade heads", note="ok"))
    first = live.introspect(dsn)
    linear = all(len(r.down_revisions) <= 1 for r in history.revisions)
    order = list(reversed(history.revisions))
    targets = (
        [r.down_revisions[0] if r.down_revisions else "base" for r in order] if linear else ["base"]
    )
    down = run_alembic(
        ctx.source_path,
        dsn,
        [("downgrade", t) for t in targets] + [("upgrade", "heads")],
        labels=[(r.revision, r.file) for r in order[: len(targets)]],
        files=files,
    )
    for rev, target, step in zip(order, targets, down.steps, strict=False):
        evidence.append(
            Evidence(
                source="probe",
                file=rev.file,
                revision=rev.revision,
                sql=f"alembic downgrade {target}",
                note=f"error: {step.error}" if step.error else "ok",
            )
        )
        if step.error:
            return finding_for(
                req,
                Status.FAIL,
                f"downgrade of revision {rev.revision} ({rev.file}) fails: {step.error}",
                diffs=[Diff("downgrade", "runs", step.error)],
                evidence=evidence,
            )
    if len(down.steps) != len(targets) + 1 or down.steps[-1].error:
        message = down.steps[-1].error if down.steps else "no result"
        return finding_for(
            req,
            Status.FAIL,
            f"after downgrading to base, alembic upgrade heads fails: {message}",
            diffs=[Diff("upgrade_after_downgrade", "runs", message)],
            evidence=evidence,
        )
    evidence.append(Evidence(source="probe", sql="alembic upgrade heads", note="ok"))
    second = live.introspect(dsn)
    for model in (first, second):
        model.tables.pop("public.alembic_version", None)
    differences = diff_models(first, second)
    if differences:
        return finding_for(
            req,
            Status.FAIL,
            f"after downgrade to base and upgrade again the schema differs: {differences[0]}"
            + (f" (+{len(differences) - 1} more)" if len(differences) > 1 else ""),
            diffs=[Diff(d.property, d.left, d.right) for d in differences[:10]],
            evidence=evidence,
        )
    return finding_for(
        req,
        Status.PASS,
        f"all {len(history.revisions)} downgrades run and upgrade → downgrade → upgrade "
        "gives the same schema",
        evidence=evidence,
    )
