"""``audit --replay``: replay the history into a scratch database, audit its catalog, run the probes.

Orchestration only: the scratch database (sources.replay), the catalog reader
(sources.live), the probes (probes.run) and the audit (audit.engine) each do
their own job. A replay that fails at some revision is itself a blocking
finding naming the revision, its file and the PostgreSQL error; the catalog
as far as it got is still audited, and probes are not run on a half-built
schema.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from schema_audit.audit import engine
from schema_audit.audit.findings import Evidence, Finding
from schema_audit.model import Revision
from schema_audit.spec.model import Spec


def replay_and_audit(
    spec: Spec,
    *,
    migrations: Path | None = None,
    sql: Path | None = None,
    scratch_dsn: str | None = None,
    keep: bool = False,
    fail_on: str = "low",
    as_of: str | None = None,
    rule_groups: list[str] | None = None,
    on_step: Callable | None = None,
    on_kept: Callable[[str], None] | None = None,
) -> engine.AuditResult:
    from schema_audit.probes.run import ProbeContext, run_probes
    from schema_audit.sources import live
    from schema_audit.sources.replay import replay_alembic, replay_sql, scratch_database
    from schema_audit.sources.select import migration_findings

    source = migrations or sql
    assert source is not None
    kind = "alembic" if migrations else "sql"
    extra: list[Finding] = []
    heads: list[str] = []
    with scratch_database(scratch_dsn, keep=keep) as scratch:
        if migrations:
            from schema_audit.sources.alembic import render_history

            history = render_history(migrations)
            extra += [
                f
                for f in migration_findings(history.findings)
                if f.id.split(".")[1] not in ("needs-connection", "render-error")
            ]
            heads = replay_alembic(migrations, scratch, on_step=on_step)
            revisions = [
                Revision(r.revision, r.file, r.message, r.down_revisions, r.has_downgrade)
                for r in history.revisions
            ]
        else:
            replay_sql(sql, scratch, on_step=on_step)  # type: ignore[arg-type]
            revisions = [Revision(s.revision, s.file, s.file) for s in scratch.steps]
        model = live.introspect(scratch.dsn)
        model.tables.pop("public.alembic_version", None)
        model.revisions = revisions
        if rule_groups:
            from schema_audit.audit.rules import rules_for_spec

            extra += rules_for_spec(model, rule_groups, spec, "replay")
        failed = scratch.failed
        probe_findings: dict[str, Finding] = {}
        if failed is None:
            ctx = ProbeContext(spec, model, scratch.dsn, source, kind, scratch.new_database, heads)
            probe_findings = run_probes(ctx)
        else:
            extra.append(
                Finding(
                    id=f"migrations.replay-failed.{failed.revision}",
                    kind="migration",
                    table=None,
                    name=failed.revision,
                    status="FAIL",
                    severity="blocking",
                    message=f"replay stopped at revision {failed.revision} ({failed.file}): {failed.error}",
                    evidence=[
                        Evidence(
                            source="migration",
                            file=failed.file,
                            revision=failed.revision,
                            note=failed.error,
                        )
                    ],
                    category="G",
                )
            )
            for req in spec.requirements:
                if req.kind == "probe":
                    from schema_audit.audit.findings import finding_for

                    probe_findings[req.id] = finding_for(
                        req, "DEFERRED", f"not run: the replay failed at revision {failed.revision}"
                    )
        timings = ", ".join(f"{s.revision} {s.seconds * 1000:.0f} ms" for s in scratch.steps)
        target = (
            f"{source} replayed into a scratch database ({len(scratch.steps)} step(s): {timings})"
        )
        if keep and on_kept:
            on_kept(scratch.dsn)
        return engine.run(
            spec,
            model,
            "replay",
            target if len(target) < 300 else f"{source} replayed into a scratch database",
            fail_on=fail_on,
            extra_findings=extra,
            probe_findings=probe_findings,
            as_of=as_of,
        )
