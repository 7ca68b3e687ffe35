"""``schema-audit audit``: check a schema against a spec, write every report asked for.

parse the options -> ``api.audit`` -> the renderers of ``render/`` -> files and stdout ->
the exit code (2 when part of a static history is missing from the model or a replay
stopped, else the result's own at ``--fail-on``).
"""

from __future__ import annotations

import functools
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from itertools import compress, repeat
from operator import attrgetter
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from schema_audit.cli.common import (
    emit,
    fail,
    gaps,
    keep_until_exit,
    known_dsns,
    parse_search_path,
    phrase,
    read_ahead,
    report_files,
    reporter,
    stdout,
    variables,
    write,
)
from schema_audit.cli.options import (
    PG_INT_MAX,
    AllowUnrenderedOpt,
    DsnOpt,
    Format,
    FormatOpt,
    JobsOpt,
    JsonDetail,
    MigrationsOpt,
    NoExecOpt,
    OutputOpt,
    SchemaOpt,
    SearchPathOpt,
    SpecAllowOpt,
    SpecOpt,
    SqlOpt,
    VarOpt,
    positive_seconds,
)
from schema_audit.enums import Severity
from schema_audit.errors import SchemaAuditError
from schema_audit.spec.fragments import ISO_DAY

_ID = attrgetter("id")  # a finding's id (_exit reads every finding's)


def audit(
    ctx: typer.Context,
    spec: SpecOpt,
    var: VarOpt = None,
    spec_allow: SpecAllowOpt = None,
    dsn: DsnOpt = None,
    migrations: MigrationsOpt = None,
    sql: SqlOpt = None,
    fmt: FormatOpt = Format.terminal,
    output: OutputOpt = None,
    fail_on: Annotated[
        Severity,
        typer.Option("--fail-on", help="Exit 1 when a FAIL finding is at or above this severity."),
    ] = Severity.LOW,
    schema: SchemaOpt = None,
    statement_timeout: Annotated[
        int, typer.Option(min=0, max=PG_INT_MAX, help="statement_timeout for live reads, in ms.")
    ] = 30000,
    lock_timeout: Annotated[
        int, typer.Option(min=0, max=PG_INT_MAX, help="lock_timeout for live reads, in ms.")
    ] = 5000,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Also list passing and waived findings (in every report)."
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print the verdict line and nothing else.")
    ] = False,
    top: Annotated[
        int,
        typer.Option(
            "--top",
            min=0,
            help="Terminal: list this many problems, worst first; github: at most this many annotations.",
        ),
    ] = 10,
    compare: Annotated[
        Path | None,
        typer.Option(
            "--compare",
            help="A previous --format json report: show new, fixed and still-failing findings.",
        ),
    ] = None,
    json_detail: Annotated[
        JsonDetail,
        typer.Option(
            "--json-detail",
            help="JSON findings: passes (every finding, the default) or failures (no PASS; counts kept).",
        ),
    ] = JsonDetail.passes,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the forensic Markdown report here.")
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write the self-contained HTML report here.")
    ] = None,
    junit: Annotated[Path | None, typer.Option("--junit", help="Write JUnit XML here.")] = None,
    sarif: Annotated[Path | None, typer.Option("--sarif", help="Write SARIF 2.1.0 here.")] = None,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir", help="Write every format (md, html, json, junit, sarif) here."
        ),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Report date (YYYY-MM-DD); default: the spec's date, else SOURCE_DATE_EPOCH, else today.",
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="Report only findings not in this baseline file (written on first use).",
        ),
    ] = None,
    rules: Annotated[
        str | None,
        typer.Option(
            "--rules",
            help="Built-in rule groups: security,perf,schema,privacy, all or none "
            "(default: the spec's rules.groups, else all).",
        ),
    ] = None,
    rule: Annotated[
        list[str] | None,
        typer.Option(
            "--rule",
            help="One rule on, off or re-graded, over the spec's rules: section "
            "(repeatable): --rule SEC006=high --rule PERF002=off --rule SCH001=on.",
        ),
    ] = None,
    replay: Annotated[
        bool,
        typer.Option(
            "--replay",
            help="Replay the history into a scratch PostgreSQL and run the spec's probes.",
        ),
    ] = False,
    scratch_dsn: Annotated[
        str | None,
        typer.Option(
            "--scratch-dsn", help="Server for the scratch database (default: a throwaway one)."
        ),
    ] = None,
    keep_scratch: Annotated[
        bool,
        typer.Option(
            "--keep-scratch", help="Keep the scratch database and print its DSN (debugging)."
        ),
    ] = False,
    replay_setup: Annotated[
        Path | None,
        typer.Option(
            "--replay-setup",
            help="SQL file run on the scratch database before the history (what the "
            "migration runner or platform provides: roles, extensions, its own tables).",
        ),
    ] = None,
    targets: Annotated[
        Path | None,
        typer.Option(
            "--targets",
            help="Audit every database of this fleet file (YAML: targets with dsn or dsn_env, "
            "vars, spec) and print a fleet summary.",
        ),
    ] = None,
    jobs: JobsOpt = 4,
    target_timeout: Annotated[
        float,
        typer.Option(
            "--target-timeout",
            callback=positive_seconds,
            help="With --targets: seconds allowed per database.",
        ),
    ] = 300.0,
    allow_unrendered: AllowUnrenderedOpt = False,
    no_exec: NoExecOpt = False,
    search_path: SearchPathOpt = None,
) -> None:
    """Check a schema against a spec.

    Examples:

      schema-audit audit --spec specs/schema.yaml --dsn postgresql://app@db/app

      schema-audit audit -s specs/schema.yaml -m alembic/ -f json -o out.json
    """
    known_dsns(dsn, scratch_dsn)
    if date is not None and not re.fullmatch(ISO_DAY, date):
        fail([f"--date {date!r}: not a day as YYYY-MM-DD (waiver expiry is compared with it)"])
    _refuse_idle_options(ctx, replay=replay, targets=targets is not None)
    if targets is not None:
        given = [f"--{n}" for n, v in (("dsn", dsn), ("migrations", migrations), ("sql", sql)) if v]
        if given or replay or baseline or junit or sarif or output_dir:
            extra = given + [
                f
                for f, v in (
                    ("--replay", replay),
                    ("--baseline", baseline),
                    ("--junit", junit),
                    ("--sarif", sarif),
                    ("--output-dir", output_dir),
                )
                if v
            ]
            fail(
                [
                    f"--targets names the databases itself; it does not combine with {', '.join(extra)}"
                ]
            )
        _audit_fleet(
            targets=targets,
            spec=spec,
            var=var,
            jobs=jobs,
            timeout=target_timeout,
            fail_on=fail_on,
            rules=rules,
            schema=schema,
            date=date,
            fmt=fmt,
            output=output,
            report=report,
            html=html,
            quiet=quiet,
        )
    if no_exec and replay:
        fail(["--no-exec and --replay exclude each other: replay runs every revision"])
    read = None
    if dsn and not (migrations or sql or replay):
        read = read_ahead(dsn, schema, jobs, statement_timeout, lock_timeout)
    from schema_audit import api

    first_baseline = baseline is not None and not baseline.exists()
    progress = reporter(quiet)
    try:
        spec_vars = variables(var)
        ahead = None
        if sql and not (migrations or dsn or replay or search_path) and _silent(progress):
            # a large spec read by a child while this process reads the history (spec/ahead.py)
            ahead = _spec_ahead(spec)
            if ahead is not None:
                read = _read_now(
                    sql=sql,
                    schemas=schema,
                    statement_timeout_ms=statement_timeout,
                    lock_timeout_ms=lock_timeout,
                    execute=not no_exec,
                    jobs=jobs,
                )
        loaded_spec = _load_spec(spec, spec_vars, spec_allow or (), ahead)
        loaded_spec.rules.update(_rule_options(rule or []))
        verdict_only = (
            quiet
            and fmt is Format.terminal
            and not (
                output or report or html or junit or sarif or output_dir or compare or baseline
            )
        )
        if read is not None and ahead is None:
            read = functools.partial(read, _meanwhile(loaded_spec, verdict_only))
        result = api.audit(
            loaded_spec,
            dsn=dsn,
            migrations=migrations,
            sql=sql,
            replay=replay,
            rules=rules,
            baseline=None if first_baseline else baseline,
            fail_on=fail_on.value,
            as_of=date,
            schemas=schema,
            statement_timeout_ms=statement_timeout,
            lock_timeout_ms=lock_timeout,
            scratch_dsn=scratch_dsn,
            keep_scratch=keep_scratch,
            replay_setup=replay_setup,
            reporter=progress,
            on_scratch_kept=_scratch_kept,
            execute=not no_exec,
            search_path=parse_search_path(search_path),
            jobs=jobs,
            read=read,
            verdict_only=verdict_only,
        )
    except SchemaAuditError as exc:
        fail(phrase(exc))
    if baseline is not None:
        _baseline(result, baseline, first=first_baseline, quiet=quiet)
    trend = None
    if compare is not None:
        from schema_audit.render import trend as trends

        try:
            trend = trends.compare(result, trends.load(compare), str(compare))
        except SchemaAuditError as exc:
            fail(phrase(exc))
    _write_reports(
        result,
        date=date,
        report=report,
        html=html,
        junit=junit,
        sarif=sarif,
        output_dir=output_dir,
        verbose=verbose,
        json_detail=json_detail.value,
        trend=trend,
    )
    _emit(
        result,
        fmt,
        output,
        verbose=verbose,
        quiet=quiet,
        top=top,
        json_detail=json_detail.value,
        trend=trend,
    )
    keep_until_exit(result, loaded_spec)
    _exit(result, allow_unrendered)


def _spec_ahead(spec: Path) -> Any:
    """A child reading and checking a large spec's document from now (``spec.ahead``), or
    None. The spec's loader is imported first: this process builds from the document with
    it, and the child then has it without importing it again."""
    from schema_audit.spec import ahead, load  # noqa: F401

    return ahead.start(spec)


def _silent(progress: Any) -> bool:
    from schema_audit.progress import SILENT

    return progress is SILENT


def _read_now(**options: Any) -> Callable[[], Any]:
    """The static source read now (``api.read_source`` with ``options``), for ``api.audit``
    to take where it reads the source: its error is raised there, so a spec error (the spec
    is loaded after this read) is still said first, as when the spec was loaded before it.
    Only with no progress shown (nothing the read prints comes before the spec's error)."""
    from schema_audit import api

    try:
        source = api.read_source(**options)
    except Exception as exc:  # raised where the audit reads its source
        return functools.partial(_raise, exc)
    return lambda: source


def _raise(exc: Exception) -> NoReturn:
    raise exc


def _load_spec(spec: Path, spec_vars: dict[str, str], allowed: Any, ahead: Any) -> Any:
    """``api.load_spec``, taking the document a child read meanwhile (``ahead``; None: none)."""
    if ahead is None:
        from schema_audit import api

        return api.load_spec(spec, spec_vars, allowed_roots=allowed)
    from schema_audit.spec.load import load_spec

    roots = [Path(root) for root in allowed]
    return load_spec(Path(spec), dict(spec_vars), allowed_roots=roots, ahead=ahead)


def _meanwhile(spec, verdict_only: bool) -> Callable[[], None] | None:
    """What to do while waiting for the live read (``ReadAhead.result`` runs it only while
    the read is under way; None: nothing): the imports judging ``spec`` makes late
    (``audit.prefetch``), the explicit requirements a selector's stamp may be overridden by
    (``spec.selectors.prepare``), and for ``-q`` (``verdict_only``) the cut of the judging between
    this process and a child with its check (``audit.split.prepare``) and the verdict
    line's import. With init's 1,000-table spec the server's last catalog rows come ≈
    0.1–0.2 s after the spec is loaded; that cut and check (≈ 0.01 CPU s here, ≈ 0.02 in
    the child, where it also copied every page of the spec), the context's indexes of the
    spec and the import were on the critical path after the read."""
    from schema_audit.audit.prefetch import for_spec

    steps = [step] if (step := for_spec(spec)) is not None else []
    if spec.selectors:  # the explicit side of the selectors' overrides (``spec.selectors``)
        from schema_audit.spec import selectors

        steps.append(functools.partial(selectors.prepare, spec))
    if verdict_only:
        from schema_audit.audit import split

        steps += [functools.partial(split.prepare, spec), _import_verdict_line]
    return functools.partial(_each, steps) if steps else None


def _import_verdict_line() -> None:
    from schema_audit.render import digest  # noqa: F401


def _each(steps: list[Callable[[], None]]) -> None:
    for step in steps:
        step()


# option -> what it needs: given on the command line without it, it would do nothing
_NEEDS = {
    "keep_scratch": ("--keep-scratch", "--replay"),
    "scratch_dsn": ("--scratch-dsn", "--replay"),
    "replay_setup": ("--replay-setup", "--replay"),
    "target_timeout": ("--target-timeout", "--targets"),
}


def _refuse_idle_options(ctx: typer.Context, *, replay: bool, targets: bool) -> None:
    """Exit 2 on an option typed on the command line that the run would ignore
    (``--keep-scratch`` without ``--replay`` keeps nothing). The same keys set in the
    configuration file are defaults for the runs that use them, not requests."""
    given = {"--replay": replay, "--targets": targets}
    for param, (option, needs) in _NEEDS.items():
        source = ctx.get_parameter_source(param)
        if not given[needs] and source is not None and source.name == "COMMANDLINE":
            fail([f"{option} only applies with {needs}; without it, it would do nothing"])


def _rule_options(values: list[str]) -> dict[str, str]:
    """``--rule ID=on|off|SEVERITY`` -> the spec's per-rule entries; exit 2 on a bad one."""
    from schema_audit.audit.rules import RULES, parse_setting

    out: dict[str, str] = {}
    for value in values:
        rid, sep, setting = value.partition("=")
        rid = rid.strip().upper()
        if not sep or rid not in RULES:
            fail(
                [f"--rule {value!r}: expected RULE=on|off|SEVERITY with a rule id of docs/rules.md"]
            )
        try:
            parse_setting(setting)
        except ValueError as exc:
            fail([f"--rule {value!r}: {exc}"])
        out[rid] = setting.strip()
    return out


def _audit_fleet(
    *,
    targets,
    spec,
    var,
    jobs,
    timeout,
    fail_on,
    rules,
    schema,
    date,
    fmt,
    output,
    report,
    html,
    quiet,
) -> NoReturn:
    from schema_audit.cli.fleet import audit_targets

    if fmt in (Format.github, Format.gitlab):
        fail([f"--targets writes terminal or json output (and --report/--html), not {fmt.value}"])
    try:
        summary = audit_targets(
            targets,
            spec=spec,
            variables=variables(var),
            jobs=jobs,
            timeout_s=timeout,
            fail_on=fail_on.value,
            rules=rules,
            schemas=schema,
            as_of=date,
            fmt=fmt.value,
            output=output,
            report=report,
            html=html,
            quiet=quiet,
            write=write,
        )
    except SchemaAuditError as exc:
        fail(phrase(exc))
    for row in summary.rows:
        if row.error:
            typer.echo(f"schema-audit: {row.name}: {row.error}", err=True)
    raise typer.Exit(summary.exit_code())


def _scratch_kept(scratch: str) -> None:
    from schema_audit.redact import scrub

    typer.echo(f"schema-audit: scratch database kept: {scrub(scratch)}", err=True)


def _exit(result, allow_unrendered: bool = False) -> NoReturn:
    """Exit 2 when part of a static history is missing from the model (a statement nothing
    could parse, a revision that could not be rendered) or a replay stopped: each named on
    stderr, after the full audit; else the result's exit code at its --fail-on threshold."""
    from schema_audit.redact import mask_secrets, scrub

    blocking = gaps(result.model, result.source_kind, allow_unrendered)
    for line in blocking:
        typer.echo(mask_secrets(f"schema-audit: {line}"), err=True)
    stopped = False  # one walk of the findings (hundreds of thousands with init's spec), in C
    findings = result.findings
    replay_failed = map(str.startswith, map(_ID, findings), repeat("migrations.replay-failed."))
    for finding in compress(findings, replay_failed):  # a stopped replay is said on stderr too
        typer.echo(mask_secrets(f"schema-audit: {scrub(finding.message)}"), err=True)
        stopped = True
    # a stopped replay is an incomplete audit, like an unparseable statement: exit 2
    raise typer.Exit(2 if blocking or stopped else result.exit_code())


def _baseline(result, path: Path, *, first: bool, quiet: bool) -> None:
    """Write the baseline on first use (and stop there), else name what got fixed since."""
    from schema_audit.audit.baseline import write_baseline

    if first:
        count = write_baseline(result.findings, path)
        if not quiet:
            typer.echo(
                f"baseline written to {path}: {count} finding(s) accepted; later runs report only new ones"
            )
        raise typer.Exit(0)
    if not quiet:
        for entry in result.fixed:
            typer.echo(f"fixed since the baseline: {entry['id']} ({entry['status']})", err=True)


def _write_reports(
    result,
    *,
    date,
    report,
    html,
    junit,
    sarif,
    output_dir,
    verbose=False,
    json_detail="passes",
    trend=None,
) -> None:
    """Every requested file format; --output-dir asks for all of them under the spec's stem."""
    import importlib

    def render(module: str, **options: object) -> str:  # import only the renderers asked for
        return importlib.import_module(f"schema_audit.render.{module}").render(result, **options)

    def pieces(module: str, **options: object) -> Iterator[bytes]:  # JSON: written as encoded
        return importlib.import_module(f"schema_audit.render.{module}").chunks(result, **options)

    makers: dict[str, Callable[[], str | Iterator[bytes]]] = {
        "md": lambda: render("markdown", date=date, verbose=verbose, trend=trend),
        "html": lambda: render("html", date=date, verbose=verbose, trend=trend),
        "json": lambda: pieces("json_report", detail=json_detail, trend=trend),
        "junit": lambda: render("junit", trend=trend),
        "sarif": lambda: pieces("sarif", trend=trend),
    }
    targets: list[tuple[Path, str]] = []
    if output_dir is not None:
        targets += report_files(output_dir, Path(result.spec.path).stem)
    targets += [
        (path, kind)
        for path, kind in ((report, "md"), (html, "html"), (junit, "junit"), (sarif, "sarif"))
        if path
    ]
    for path, kind in targets:
        write(path, makers[kind]())


def _emit(
    result,
    fmt: Format,
    output: Path | None,
    *,
    verbose: bool,
    quiet: bool,
    top: int = 10,
    json_detail: str = "passes",
    trend=None,
) -> None:
    """The chosen output format, on stdout or in ``output``; known passwords masked in both."""
    text: str | Iterator[bytes]
    if fmt in (Format.github, Format.gitlab):
        if fmt is Format.github:
            from schema_audit.render import github
            from schema_audit.render.plaintext import printable_lines

            text = printable_lines(github.render(result, limit=top, trend=trend))
        else:
            from schema_audit.render import gitlab

            text = gitlab.render(result)
    elif fmt is Format.json:
        from schema_audit.render import json_report

        text = json_report.chunks(result, detail=json_detail, trend=trend)
    elif output:
        from schema_audit.render import terminal

        text = terminal.text(
            result, verbose=verbose, width=140, terminal=False, top=top, trend=trend
        )
    elif quiet:
        from schema_audit.render import digest

        stdout(digest.quiet_line(result) + "\n")
        return
    else:
        from schema_audit.render import terminal

        tty = sys.stdout.isatty()
        width = shutil.get_terminal_size().columns if tty else 160
        text = terminal.text(
            result, verbose=verbose, width=width, terminal=tty, top=top, trend=trend
        )
    if output or not quiet:
        emit(text, output)
