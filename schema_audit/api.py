"""The Python API, and the one place where an audit is assembled.

``audit()`` reads the source (a live database, an Alembic project, SQL files,
or a replay of a history into a scratch database), judges the spec's
requirements, runs the built-in rule pack, applies inline suppressions, waivers
and the baseline, and returns a frozen :class:`AuditResult` whose roll-ups are
computed from those final findings. The CLI, ``make demo`` and the tests all
come through here, so no caller can forget a step.

Every failure to run is a :class:`~schema_audit.errors.SchemaAuditError`.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schema_audit.audit import engine, split
from schema_audit.audit.baseline import apply_baseline, read_baseline
from schema_audit.audit.findings import SEVERITIES, Finding
from schema_audit.audit.history import history_findings
from schema_audit.audit.result import AuditResult
from schema_audit.audit.rules import groups_for, parse_groups, rules_for_spec
from schema_audit.audit.suppressions import carry_suppressions
from schema_audit.audit.waivers import apply_waivers, unsettled_tables, waive
from schema_audit.enums import Status
from schema_audit.errors import (
    ReplayHistoryError,
    ReplayTargetError,
    SchemaAuditError,
    UsageError,
)
from schema_audit.gcpause import collector_paused
from schema_audit.model import SchemaModel
from schema_audit.progress import SILENT, Reporter
from schema_audit.spec.model import Spec
from schema_audit.spec.selectors import expanded_spec

if TYPE_CHECKING:
    from schema_audit.lint import LintResult
    from schema_audit.modeldiff import Difference, Undecided
    from schema_audit.sources.select import LoadedSource

PathLike = str | os.PathLike[str]
RuleSelection = str | Sequence[str] | None

__all__ = [
    "AuditResult",
    "Comparison",
    "audit",
    "audit_model",
    "compare",
    "diff",
    "init_spec",
    "inspect",
    "lint",
    "lint_migrations",
    "load_spec",
    "read_source",
]


def load_spec(
    path: PathLike,
    variables: Mapping[str, str] | None = None,
    *,
    allowed_roots: Sequence[PathLike] = (),
) -> Spec:
    """Load, compose and validate a spec; a ``SpecError`` lists every problem with file:line.

    ``variables`` are the ``--var`` values; ``allowed_roots`` are directories outside the
    spec's own that ``extends:`` may read (``--spec-allow``)."""
    from schema_audit.spec.load import load_spec as _load

    return _load(
        Path(path), dict(variables or {}), allowed_roots=[Path(root) for root in allowed_roots]
    )


def audit(
    spec: Spec | PathLike,
    *,
    dsn: str | None = None,
    migrations: PathLike | None = None,
    sql: PathLike | None = None,
    replay: bool = False,
    rules: RuleSelection = None,
    baseline: PathLike | None = None,
    fail_on: str = "low",
    as_of: str | None = None,
    variables: Mapping[str, str] | None = None,
    schemas: Sequence[str] | None = None,
    statement_timeout_ms: int = 30000,
    lock_timeout_ms: int = 5000,
    jobs: int = 4,
    scratch_dsn: str | None = None,
    keep_scratch: bool = False,
    replay_setup: PathLike | None = None,
    reporter: Reporter = SILENT,
    on_scratch_kept: Callable[[str], None] | None = None,
    execute: bool = True,
    search_path: Sequence[str] | None = None,
    read: Callable[[], LoadedSource] | None = None,
    verdict_only: bool = False,
) -> AuditResult:
    """Audit one source against ``spec`` (a loaded spec or its path).

    Name exactly one of ``dsn``, ``migrations`` (an Alembic project) or ``sql`` (a
    file or folder). ``replay`` runs the history in a scratch database made for the
    purpose (never the ``dsn`` one) and runs the spec's probes there. ``rules`` picks
    the built-in rule groups (``"security,perf"``, a list, ``"all"``, ``"none"``;
    default: the spec's ``rules.groups``, else all). ``baseline`` is an existing
    baseline file whose findings are accepted; ``as_of`` (YYYY-MM-DD) decides which
    waivers have expired (default: the spec's date, else today). ``execute=False``
    (no-exec) reads Alembic revisions from their syntax trees without running any Python.
    Long reads and each replayed revision are told to ``reporter`` (default: silent).
    ``jobs``: connections reading a ``dsn``'s catalog at once, on one snapshot (1: one).
    ``read``: the source's read, already under way (``sources.live_ahead``): called where
    the source would be read, so its errors come in the same order as without it.
    ``verdict_only``: see :func:`audit_model`.
    """
    loaded = spec if isinstance(spec, Spec) else load_spec(spec, variables)
    groups = _groups(rules, loaded)
    migrations_path = Path(migrations) if migrations is not None else None
    sql_path = Path(sql) if sql is not None else None
    if replay:
        return _replay(
            loaded,
            dsn=dsn,
            migrations=migrations_path,
            sql=sql_path,
            groups=groups,
            baseline=baseline,
            fail_on=fail_on,
            as_of=as_of,
            scratch_dsn=scratch_dsn,
            keep=keep_scratch,
            setup=Path(replay_setup) if replay_setup is not None else None,
            reporter=reporter,
            on_kept=on_scratch_kept,
            search_path=search_path,
            schemas=schemas,
        )
    source = (
        read()
        if read is not None
        else read_source(
            dsn=dsn,
            migrations=migrations_path,
            sql=sql_path,
            schemas=schemas,
            statement_timeout_ms=statement_timeout_ms,
            lock_timeout_ms=lock_timeout_ms,
            execute=execute,
            search_path=search_path,
            reporter=reporter,
            jobs=jobs,
        )
    )
    return audit_model(
        loaded,
        source.model,
        source.kind,
        source.target,
        rules=groups,
        source_findings=history_findings(source.issues),
        history=migrations_path or sql_path,
        baseline=baseline,
        fail_on=fail_on,
        as_of=as_of,
        verdict_only=verdict_only,
    )


def audit_model(
    spec: Spec,
    model: SchemaModel,
    source_kind: str,
    source_target: str = "",
    *,
    rules: RuleSelection = None,
    source_findings: Sequence[Finding] = (),
    probe_findings: Mapping[str, Finding] | None = None,
    history: Path | None = None,
    suppressions_from: Sequence[Finding] = (),
    baseline: PathLike | None = None,
    fail_on: str = "low",
    as_of: str | None = None,
    incomplete: str | None = None,
    verdict_only: bool = False,
) -> AuditResult:
    """Audit a model already read (``source_kind``: live, alembic, sql or replay).

    ``verdict_only``: the caller reads only the verdict line and the exit code (``-q``),
    so the result may leave out PASS findings no waiver can match, counted in its summary
    (``audit/split.CountedResult``: judged partly on the second core); render no report
    from it.

    ``incomplete`` (a stopped replay: "replay stopped at FILE:LINE: ERROR") DEFERs every
    schema finding the history's remaining revisions could still change.

    The pipeline, in order: the spec's requirements, the source's own findings, the
    rule pack (inline ``schema-audit: ignore`` comments read from ``history``, or
    carried over from ``suppressions_from``), waivers, then the baseline.
    """
    if fail_on not in SEVERITIES:
        raise UsageError(f"unknown severity {fail_on!r}; severities: {', '.join(SEVERITIES)}")
    # judging makes a finding per requirement and frees little until the audit ends: the
    # collector's repeated walks of spec, model and findings were ~15% of init's audit
    with collector_paused():
        return _audit_model(
            spec,
            model,
            source_kind,
            source_target,
            rules=rules,
            source_findings=source_findings,
            probe_findings=probe_findings,
            history=history,
            suppressions_from=suppressions_from,
            baseline=baseline,
            fail_on=fail_on,
            as_of=as_of,
            incomplete=incomplete,
            verdict_only=verdict_only,
        )


def _audit_model(
    spec: Spec,
    model: SchemaModel,
    source_kind: str,
    source_target: str,
    *,
    rules: RuleSelection,
    source_findings: Sequence[Finding],
    probe_findings: Mapping[str, Finding] | None,
    history: Path | None,
    suppressions_from: Sequence[Finding],
    baseline: PathLike | None,
    fail_on: str,
    as_of: str | None,
    incomplete: str | None,
    verdict_only: bool = False,
) -> AuditResult:
    groups = _groups(rules, spec)
    explicit = len(spec.requirements)  # the spec's own, then those its selectors stamp
    spec, findings = expanded_spec(spec, model)  # match: selectors stamped out on this schema
    probes = dict(probe_findings or {})
    # -q's verdict line: part of the tables judged on the second core (audit/split)
    shared = (
        split.start(spec, model, source_kind, rules=bool(groups), explicit=explicit)
        if verdict_only and not (probes or suppressions_from or incomplete or baseline)
        else None
    )
    mine, ctx = (shared.mine, shared.ctx) if shared is not None else (None, None)
    day = as_of or spec.date or datetime.date.today().isoformat()
    live = source_kind == "live"
    # a static source may DEFER tables on both sides (a stale rule waiver's wording needs them
    # all): its waivers are applied in one pass once the child answered
    parts = split.waiver_parts(spec, shared) if shared is not None and live else None
    ahead = None  # this process's findings waived while the child judges (audit/split)
    try:
        judged = engine.evaluate(
            spec, model, source_kind, probe_findings=probes, share=mine, ctx=ctx
        )
        pack = rules_for_spec(model, groups, spec, source_kind, history)
        if parts is not None:
            here = [*findings, *judged, *source_findings, *pack]
            unsettled = unsettled_tables(here)
            ahead = waive(
                spec, here, day, None, has_history=not live, indices=parts[0], unsettled=unsettled
            )
        theirs = shared.theirs() if shared is not None else None
    finally:
        if shared is not None:
            shared.end()
    at = len(findings) + len(judged)  # where the child's findings go among this process's
    if (
        ahead is not None
        and shared is not None
        and parts is not None
        and theirs is not None
        and split.waived_apart(shared, here, at, theirs)
    ):
        final, out = ahead
        kept, about = waive(
            spec,
            theirs.kept,
            day,
            None,
            has_history=not live,
            indices=parts[1],
            unsettled=unsettled,
        )  # the waivers whose patterns are ids of the child's requirements only
        out = sorted([*out, *about], key=split.waiver_index)  # in the waivers' order
        findings = [*final[:at], *kept, *final[at:], *out]
    else:
        if theirs is not None:
            judged += theirs.kept
        elif shared is not None:  # the child refused its cut or gave nothing: all judged here
            judged = engine.evaluate(spec, model, source_kind, probe_findings=probes)
        findings += judged
        findings += source_findings
        findings += carry_suppressions(pack, suppressions_from) if suppressions_from else pack
        if incomplete:
            from schema_audit.replay_audit import defer_after_stop

            findings = defer_after_stop(findings, incomplete)
        if spec.waivers:
            findings = apply_waivers(spec, findings, day, incomplete, has_history=not live)
    accepted: list[str] = []
    fixed: list[dict[str, Any]] = []
    if baseline is not None:
        findings, accepted, fixed = apply_baseline(findings, read_baseline(Path(baseline)))
    if theirs is not None:
        return split.CountedResult(
            spec, model, source_kind, source_target, tuple(findings), fail_on, passes=theirs.passes
        )
    return AuditResult(
        spec,
        model,
        source_kind,
        source_target,
        tuple(findings),
        fail_on,
        baselined=tuple(accepted),
        fixed=tuple(fixed),
    )


def _groups(rules: RuleSelection, spec: Spec) -> list[str]:
    try:
        if rules is None or isinstance(rules, str):
            return groups_for(rules, spec)
        return parse_groups(",".join(rules) or "none")
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _replay(
    spec: Spec,
    *,
    dsn: str | None,
    migrations: Path | None,
    sql: Path | None,
    groups: list[str],
    baseline: PathLike | None,
    fail_on: str,
    as_of: str | None,
    scratch_dsn: str | None,
    keep: bool,
    setup: Path | None,
    reporter: Reporter,
    on_kept: Callable[[str], None] | None,
    search_path: Sequence[str] | None = None,
    schemas: Sequence[str] | None = None,
) -> AuditResult:
    """A replay, audited like any source; inline ignores are read from the static history."""
    from schema_audit.redact import scrub
    from schema_audit.replay_audit import replay_source
    from schema_audit.sources.alembic import MigrationSourceError
    from schema_audit.sources.replay import ReplayError

    if dsn:
        raise ReplayTargetError()
    if (migrations is None) == (sql is None):
        raise ReplayHistoryError()
    path = migrations or sql
    assert path is not None
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    if setup is not None and not setup.is_file():
        raise UsageError(f"{setup}: the replay setup file does not exist")
    try:
        replayed = replay_source(
            spec,
            migrations=migrations,
            sql=sql,
            scratch_dsn=scratch_dsn,
            keep=keep,
            setup=setup,
            reporter=reporter,
            on_kept=on_kept,
            search_path=search_path,
            schemas=list(schemas) if schemas else None,
        )
    except (ReplayError, MigrationSourceError) as exc:
        raise SchemaAuditError(scrub(str(exc))) from None
    static: list[Finding] = []
    if groups:
        static = _static_rule_findings(spec, groups, migrations, sql, replayed.model)
    return audit_model(
        spec,
        replayed.model,
        "replay",
        replayed.target,
        rules=groups,
        source_findings=replayed.findings,
        probe_findings=replayed.probe_findings,
        suppressions_from=static,
        incomplete=replayed.stopped,
        baseline=baseline,
        fail_on=fail_on,
        as_of=as_of,
    )


def _static_rule_findings(
    spec: Spec, groups: list[str], migrations: Path | None, sql: Path | None, model: SchemaModel
) -> list[Finding]:
    """The rule pack on the statically read history: where its inline ignore comments apply.

    A history the static reader cannot read leaves the replay's findings as they are,
    and says so among the model's blind spots.
    """
    from schema_audit.sources.select import load_source

    try:
        static = load_source(migrations=migrations, sql=sql)
    except SchemaAuditError as exc:
        model.blind_spots.append(
            f"inline schema-audit: ignore comments not read (the history could not be read "
            f"statically: {exc.problems[0] if exc.problems else exc})"
        )
        return []
    return rules_for_spec(static.model, groups, spec, static.kind, migrations or sql)


def read_source(
    *,
    dsn: str | None = None,
    migrations: PathLike | None = None,
    sql: PathLike | None = None,
    schemas: Sequence[str] | None = None,
    statement_timeout_ms: int = 30000,
    lock_timeout_ms: int = 5000,
    execute: bool = True,
    search_path: Sequence[str] | None = None,
    reporter: Reporter = SILENT,
    jobs: int = 4,
) -> LoadedSource:
    """One source as read: its model, kind, target (password redacted), layout and history
    issues. :func:`inspect` is its model; ``schema-audit inspect`` and ``init`` print the rest.
    ``jobs``: connections reading a ``dsn``'s catalog at once, on one snapshot (1: one).
    """
    from schema_audit.sources.select import load_source

    return load_source(
        dsn=dsn,
        migrations=Path(migrations) if migrations is not None else None,
        sql=Path(sql) if sql is not None else None,
        schemas=list(schemas) if schemas else None,
        statement_timeout_ms=statement_timeout_ms,
        lock_timeout_ms=lock_timeout_ms,
        execute=execute,
        search_path=list(search_path) if search_path else None,
        reporter=reporter,
        jobs=jobs,
    )


def inspect(
    *,
    dsn: str | None = None,
    migrations: PathLike | None = None,
    sql: PathLike | None = None,
    schemas: Sequence[str] | None = None,
) -> SchemaModel:
    """The schema model one source yields (the same model an audit judges)."""
    return read_source(dsn=dsn, migrations=migrations, sql=sql, schemas=schemas).model


@dataclass(frozen=True)
class Comparison:
    """Two sources as read and every object that differs between them; ``undecided``: the
    differences a static reading cannot decide (``audit`` DEFERs them), each with why."""

    left: LoadedSource
    right: LoadedSource
    differences: list[Difference]
    undecided: list[Undecided] = field(default_factory=list)


def compare(
    left: str,
    right: str,
    *,
    schemas: Sequence[str] | None = None,
    execute: bool = True,
    search_path: Sequence[str] | None = None,
    reporter: Reporter = SILENT,
    jobs: int = 4,
) -> Comparison:
    """Both sources (each a DSN or a path) and their differences; Alembic's bookkeeping
    table is not schema and is left out of both. ``jobs``: connections per DSN read."""
    from schema_audit.audit.undecided import compare_models
    from schema_audit.sources.select import load_any

    wanted = list(schemas) if schemas else None
    path = list(search_path) if search_path else None
    a = load_any(
        left, schemas=wanted, execute=execute, search_path=path, reporter=reporter, jobs=jobs
    )
    b = load_any(
        right, schemas=wanted, execute=execute, search_path=path, reporter=reporter, jobs=jobs
    )
    for model in (a.model, b.model):
        model.tables.pop("public.alembic_version", None)  # Alembic's bookkeeping, not schema
    compared = compare_models(a.model, b.model)
    return Comparison(a, b, compared.differences, compared.undecided)


def diff(left: str, right: str, *, schemas: Sequence[str] | None = None) -> list[Difference]:
    """Every object that differs between two sources, each named by a DSN or a path
    (what a static reading cannot decide is left out: :func:`compare` lists it)."""
    return compare(left, right, schemas=schemas).differences


def lint(
    path: PathLike,
    *,
    allow: Sequence[str] = (),
    assume_populated: bool = False,
    execute: bool = True,
    search_path: Sequence[str] | None = None,
    online: bool = False,
) -> LintResult:
    """Destructive changes in the upgrade paths of a migration history (``online``: also the
    rules about locks and rewrites on tables that already hold rows)."""
    from schema_audit.lint import lint as _lint

    return _lint(
        Path(path),
        allow=list(allow),
        assume_populated=assume_populated,
        execute=execute,
        search_path=list(search_path) if search_path else None,
        online=online,
    )


# ``schema_audit.lint`` is the linter's module, so the package exports this name for it.
lint_migrations = lint


@collector_paused()  # 5,000 tables: 1.1 of 5 CPU s were collections walking the model
def init_spec(
    source: LoadedSource,
    *,
    history: PathLike | None = None,
    name: str | None = None,
    tables: Sequence[str] | None = None,
    only: Sequence[str] | None = None,
    tenant_column: str | None = None,
    expires_in_days: int = 90,
    strict: bool = True,
) -> str:
    """A spec (YAML text) that requires exactly what ``source`` has today.

    Every rule finding that FAILs today, and every finding of the history itself (multiple
    heads, a missing downgrade …), is written as a waiver expiring in ``expires_in_days``,
    so the first audit of the same source is green; inline-suppressed findings stay so.
    ``history`` is the migrations path whose inline ignore comments apply.
    """
    from schema_audit.sources.runner_tables import names as runner_names
    from schema_audit.spec.bootstrap import entries_ahead, runner_tables, spec_from_model
    from schema_audit.spec.tenancy import detect

    # the tables' entries (half the writer's work) on the second core from here, while this
    # process finds the rules' findings and writes the rest: the same lines, joined in order
    entries, end = entries_ahead(
        source.model, list(tables) if tables else None, list(only) if only else None
    )
    try:
        tenant = detect(source.model, tenant_column)
        settings = {"tenant_column": tenant.column} if tenant else {}
        found = rules_for_spec(
            source.model,
            parse_groups("all"),
            Spec("init", "", "", settings=settings),
            source.kind,
            Path(history) if history is not None else None,
        )
        expires = (datetime.date.today() + datetime.timedelta(days=expires_in_days)).isoformat()
        return spec_from_model(
            source.model,
            name=name or f"Schema of {source.target}",
            source=f"{source.kind} {source.target}",
            rule_findings=[
                f for f in [*found, *history_findings(source.issues)] if f.status == Status.FAIL
            ],
            tables=list(tables) if tables else None,
            only=list(only) if only else None,
            tenant=tenant,
            expires=expires,
            strict=strict,
            # the runner's table as the project names it (sources/runner_config), else by layout
            runner=runner_names(source.model) or runner_tables(source.layout),
            entries=entries,
        )
    finally:
        end()
