"""``audit --replay``: replay the history into a scratch database, read its catalog, run the probes.

Orchestration only: the scratch database (sources.replay), the catalog reader
(sources.live) and the probes (probes.run) each do their own job; the audit
itself is assembled by :func:`schema_audit.api.audit` like every other one. A
replay that stops at some revision is itself a blocking finding naming the
file, line and PostgreSQL error, and the audit is incomplete: the catalog as
far as it got is read, but every finding the remaining revisions could still
change is DEFERRED (:func:`defer_after_stop`: never PASS or FAIL on a
half-built schema), probes are not run, and the CLI exits 2.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from schema_audit.audit.findings import Evidence, Finding
from schema_audit.enums import Status
from schema_audit.model import Revision, SchemaModel
from schema_audit.progress import SILENT, Reporter
from schema_audit.spec.model import Spec


@dataclass(slots=True)
class ReplayedSource:
    """What a replay yields: the catalog as far as it got, and the findings it made."""

    model: SchemaModel
    target: str
    findings: list[Finding] = field(default_factory=list)  # history issues, a failed replay
    probe_findings: dict[str, Finding] = field(default_factory=dict)
    stopped: str | None = None  # "replay stopped at FILE:LINE: ERROR": the audit is incomplete


def replay_source(
    spec: Spec,
    *,
    migrations: Path | None = None,
    sql: Path | None = None,
    scratch_dsn: str | None = None,
    keep: bool = False,
    setup: Path | None = None,
    reporter: Reporter = SILENT,
    on_kept: Callable[[str], None] | None = None,
    search_path: Sequence[str] | None = None,
    schemas: list[str] | None = None,
) -> ReplayedSource:
    """Replay the history into a scratch database and read it back; ``search_path`` (from
    --search-path) is the one each SQL file's session starts with, as for the static reading."""
    from schema_audit.audit.history import CATEGORY, history_findings
    from schema_audit.probes.auto import automatic_probes
    from schema_audit.probes.run import ProbeContext, run_probes
    from schema_audit.replay_owners import forget_runner_ownership
    from schema_audit.sources import live
    from schema_audit.sources.assumed import collect
    from schema_audit.sources.replay import (
        replay_alembic,
        replay_setup,
        replay_sql,
        scratch_database,
        sql_statements,
    )

    source = migrations or sql
    assert source is not None
    kind = "alembic" if migrations else "sql"
    extra: list[Finding] = []
    heads: list[str] = []
    with scratch_database(scratch_dsn, keep=keep) as scratch:
        if setup is not None:
            replay_setup(setup, scratch, on_step=reporter.replay_step)
        if migrations:
            from schema_audit.sources.alembic import render_history

            history = render_history(migrations, reporter=reporter)
            assumed = (
                []
                if scratch.failed
                else scratch.assume(
                    collect(st.sql for rev in history.revisions for st in rev.statements)
                )
            )
            extra += [
                f
                for f in history_findings(history.findings)
                if f.id.split(".")[1] not in ("needs-connection", "render-error")
            ]
            if not scratch.failed:
                heads = replay_alembic(migrations, scratch, on_step=reporter.replay_step)
            revisions = [
                Revision(r.revision, r.file, r.message, r.down_revisions, r.has_downgrade)
                for r in history.revisions
            ]
        else:
            assumed = (
                [] if scratch.failed else scratch.assume(collect(sql_statements(sql)))  # type: ignore[arg-type]
            )
            if not scratch.failed:
                replay_sql(sql, scratch, on_step=reporter.replay_step, search_path=search_path)  # type: ignore[arg-type]
            revisions = [Revision(s.revision, s.file, s.file) for s in scratch.steps if not s.setup]
        model = live.introspect(scratch.dsn, schemas=schemas)
        forget_runner_ownership(model, scratch.runner_role())
        if migrations:
            # Alembic's own bookkeeping; a SQL history's table of that name is the project's
            model.tables.pop(scratch.version_table or "public.alembic_version", None)
        if assumed:
            model.blind_spots += [f"replay assumed {note}" for note in assumed]
            extra.append(
                Finding(
                    id="migrations.replay-assumed",
                    kind="migration",
                    table=None,
                    name="assumed",
                    status=Status.PASS,
                    severity="info",
                    message="replay assumed what the history references but does not create: "
                    + "; ".join(assumed),
                    evidence=[Evidence(source="migration", note=note) for note in assumed],
                    category=CATEGORY,
                )
            )
        model.revisions = revisions
        failed = scratch.failed
        probe_findings: dict[str, Finding] = {}
        if failed is None:
            ctx = ProbeContext(spec, model, scratch.dsn, source, kind, scratch.new_database, heads)
            probe_findings = run_probes(ctx)
            extra += automatic_probes(ctx)
        else:
            extra.append(
                Finding(
                    id=f"migrations.replay-failed.{failed.revision}",
                    kind="migration",
                    table=None,
                    name=failed.revision,
                    status=Status.FAIL,
                    severity="blocking",
                    message=f"replay stopped at {failed.where}: {failed.error} (revision "
                    f"{failed.revision}); the audit is incomplete: what the remaining revisions "
                    "could change is DEFERRED",
                    evidence=[
                        Evidence(
                            source="migration",
                            file=failed.file,
                            line=failed.line,
                            revision=failed.revision,
                            note=failed.error,
                        )
                    ],
                    category=CATEGORY,
                )
            )
            for req in spec.requirements:
                if req.kind == "probe":
                    from schema_audit.audit.findings import finding_for

                    probe_findings[req.id] = finding_for(
                        req,
                        Status.DEFERRED,
                        f"not run: the replay failed at revision {failed.revision}",
                    )
        timings = ", ".join(f"{s.revision} {s.seconds * 1000:.0f} ms" for s in scratch.steps)
        target = (
            f"{source} replayed into a scratch database on {scratch.server} "
            f"({len(scratch.steps)} step(s): {timings})"
        )
        if keep and on_kept:
            on_kept(scratch.dsn)
        return ReplayedSource(
            model,
            target
            if len(target) < 300
            else f"{source} replayed into a scratch database on {scratch.server}",
            extra,
            probe_findings,
            f"replay stopped at {failed.where}: {failed.error}" if failed else None,
        )


def defer_after_stop(findings: list[Finding], why: str) -> list[Finding]:
    """A stopped replay settles nothing the remaining revisions could change: DEFER it.

    Which objects a revision that never ran would touch is not knowable in general (dynamic
    SQL, ``GRANT … ON ALL TABLES``, ``DROP SCHEMA … CASCADE``), so every PASS, FAIL, PARTIAL
    and NOT_APPLICABLE about the schema is deferred; the migration findings (the stop itself,
    the history's own problems) and waivers stay as they are.
    """
    return [
        finding
        if finding.kind == "migration" or finding.status in (Status.DEFERRED, Status.WAIVED)
        else replace(
            finding,
            message=f"{finding.message}; DEFERRED: was {finding.status}, but {why}",
            status=Status.DEFERRED,
        )
        for finding in findings
    ]
