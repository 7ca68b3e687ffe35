"""The ``schema-audit`` command line: parse options, call the library, set the exit code.

Exit codes: 0 conformant at the ``--fail-on`` threshold, 1 findings at or above
it, 2 the audit could not run (bad spec, unreachable database, unreadable
migrations), with one line per problem on stderr and no traceback.

Heavy modules are imported inside the commands so ``--help`` starts fast.
"""

from __future__ import annotations

import os
import shutil
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from schema_audit import __version__
from schema_audit.enums import Severity
from schema_audit.errors import SchemaAuditError

app = typer.Typer(
    name="schema-audit",
    help="Audit a PostgreSQL schema against a written specification and report PASS/FAIL with evidence.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    # Plain Click help: typer's rich panels print a `<bool>` metavar after every flag and
    # import rich for a --help that should answer at once.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(StrEnum):
    terminal = "terminal"
    json = "json"
    github = "github"
    gitlab = "gitlab"


class JsonDetail(StrEnum):
    passes = "passes"
    failures = "failures"


def _fail(problems: list[str]) -> NoReturn:
    from schema_audit.redact import mask_secrets

    for line in problems:
        typer.echo(mask_secrets(f"schema-audit: {line}"), err=True)
    raise typer.Exit(2)


def _fail_line(line: str) -> None:
    """One ``schema-audit: …`` line on stderr, known passwords masked (the exit code is the caller's)."""
    from schema_audit.redact import mask_secrets

    typer.echo(mask_secrets(f"schema-audit: {line}"), err=True)


def _known_dsns(*dsns: str | None) -> None:
    """The passwords in these DSNs are masked in everything printed or written from now on."""
    from schema_audit.redact import register_dsn

    register_dsn(*dsns)


def _stdout(text: str) -> None:
    """Everything the tool prints goes through here: known passwords are masked first."""
    from schema_audit.redact import mask_secrets

    sys.stdout.write(mask_secrets(text))


def _version(value: bool) -> None:
    if value:
        from schema_audit import SUPPORTED_POSTGRESQL

        typer.echo(f"schema-audit {__version__} (PostgreSQL {SUPPORTED_POSTGRESQL})")
        raise typer.Exit()


@app.callback()
def main_callback(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Audit a PostgreSQL schema against a spec.

    Defaults for the options can live in schema-audit.toml or [tool.schema-audit] in pyproject.toml
    (current directory); the command line wins. `schema-audit config` shows what applies.
    """
    from schema_audit.config import ConfigError, load_config

    try:
        config = load_config()
    except ConfigError as exc:
        _fail([str(exc)])
    ctx.default_map = {**(ctx.default_map or {}), **config.default_map()}
    ctx.obj = config


SpecOpt = Annotated[
    Path,
    typer.Option(
        "--spec",
        "-s",
        help="Spec YAML (its keys: schema-audit spec-schema; a start: schema-audit init).",
    ),
]
DsnOpt = Annotated[
    str | None,
    typer.Option(
        "--dsn",
        help="Live database: postgresql://… URL or key=value conninfo (libpq env vars honoured).",
        envvar="SCHEMA_AUDIT_DSN",
    ),
]
MigrationsOpt = Annotated[
    Path | None,
    typer.Option("--migrations", "-m", help="Alembic project (folder with alembic.ini or env.py)."),
]
SqlOpt = Annotated[
    Path | None,
    typer.Option(
        "--sql", help="A .sql file (pg_dump --schema-only included) or a folder of SQL migrations."
    ),
]
VarOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--var",
        help="NAME=VALUE for ${NAME} in the spec (repeatable; also SCHEMA_AUDIT_VAR_NAME; "
        "no other environment variable is read).",
    ),
]
SpecAllowOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--spec-allow",
        help="A directory outside the spec's own that extends: may read from (repeatable).",
    ),
]


def _rule_options(values: list[str]) -> dict[str, str]:
    """``--rule ID=on|off|SEVERITY`` -> the spec's per-rule entries; exit 2 on a bad one."""
    from schema_audit.audit.rules import RULES, parse_setting

    out: dict[str, str] = {}
    for value in values:
        rid, sep, setting = value.partition("=")
        rid = rid.strip().upper()
        if not sep or rid not in RULES:
            _fail(
                [f"--rule {value!r}: expected RULE=on|off|SEVERITY with a rule id of docs/rules.md"]
            )
        try:
            parse_setting(setting)
        except ValueError as exc:
            _fail([f"--rule {value!r}: {exc}"])
        out[rid] = setting.strip()
    return out


def _variables(pairs: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            _fail([f"--var {pair!r}: expected NAME=VALUE"])
        out[name] = value
    return out


AllowUnrenderedOpt = Annotated[
    bool,
    typer.Option(
        "--allow-unrendered",
        help="Accept a partial model: Alembic revisions that could not be rendered are named "
        "on stderr but do not make the exit code 2.",
    ),
]


NoExecOpt = Annotated[
    bool,
    typer.Option(
        "--no-exec",
        help="Read Alembic revisions from their syntax trees: import and run none of them; "
        "what cannot be read literally is a blind spot naming its line.",
    ),
]


SearchPathOpt = Annotated[
    str | None,
    typer.Option(
        "--search-path",
        help="For SQL sources: the search_path the migration runner starts with "
        "(comma-separated, e.g. storage,public); unqualified names resolve through it.",
    ),
]


def _search_path(value: str | None) -> list[str] | None:
    parts = [p.strip().strip('"') for p in (value or "").split(",") if p.strip()]
    return parts or None


def _read_source(dsn, migrations, sql, schema, no_exec, search_path):
    """The one source a command names, read with the options every reading command shares;
    a problem is phrased for the command line and exits 2."""
    from schema_audit.sources.select import load_source

    try:
        return load_source(
            dsn=dsn,
            migrations=migrations,
            sql=sql,
            schemas=schema,
            execute=not no_exec,
            search_path=_search_path(search_path),
            reporter=_reporter(),
        )
    except SchemaAuditError as exc:
        _fail(_phrase(exc))


def _exit_on_gaps(model, kind: str, allow_unrendered: bool, what: str = "") -> None:
    """Exit 2 naming each part of a static source missing from the model (never a silent partial)."""
    blocking = _gaps(model, kind, allow_unrendered)
    if blocking:
        _fail([f"{what}{line}" for line in blocking])


def _gaps(model, kind: str, allow_unrendered: bool) -> list[str]:
    """The blocking gaps of a static source; accepted ones (--allow-unrendered) are said here."""
    from schema_audit.sources.select import gaps

    if kind not in ("alembic", "sql"):
        return []
    blocking, accepted = gaps(model, allow_unrendered=allow_unrendered)
    for line in accepted:
        typer.echo(f"schema-audit: accepted: {line}", err=True)
    return blocking


SchemaOpt = Annotated[
    list[str] | None,
    typer.Option("--schema", help="Only read these schemas from a live database (repeatable)."),
]


@app.command()
def audit(
    spec: SpecOpt,
    var: VarOpt = None,
    spec_allow: SpecAllowOpt = None,
    dsn: DsnOpt = None,
    migrations: MigrationsOpt = None,
    sql: SqlOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.terminal,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the output to this file.")
    ] = None,
    fail_on: Annotated[
        Severity,
        typer.Option("--fail-on", help="Exit 1 when a FAIL finding is at or above this severity."),
    ] = Severity.LOW,
    schema: SchemaOpt = None,
    statement_timeout: Annotated[
        int, typer.Option(help="statement_timeout for live reads, in ms.")
    ] = 30000,
    lock_timeout: Annotated[int, typer.Option(help="lock_timeout for live reads, in ms.")] = 5000,
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
    jobs: Annotated[
        int, typer.Option("--jobs", help="With --targets: databases audited at once.")
    ] = 4,
    target_timeout: Annotated[
        float,
        typer.Option("--target-timeout", help="With --targets: seconds allowed per database."),
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
    _known_dsns(dsn, scratch_dsn)
    from schema_audit import api

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
            _fail(
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
        _fail(["--no-exec and --replay exclude each other: replay runs every revision"])
    first_baseline = baseline is not None and not baseline.exists()
    try:
        loaded_spec = api.load_spec(spec, _variables(var), allowed_roots=spec_allow or ())
        loaded_spec.rules.update(_rule_options(rule or []))
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
            reporter=_reporter(quiet),
            on_scratch_kept=_scratch_kept,
            execute=not no_exec,
            search_path=_search_path(search_path),
        )
    except SchemaAuditError as exc:
        _fail(_phrase(exc))
    if baseline is not None:
        _baseline(result, baseline, first=first_baseline, quiet=quiet)
    trend = None
    if compare is not None:
        from schema_audit.render import trend as trends

        try:
            trend = trends.compare(result, trends.load(compare), str(compare))
        except SchemaAuditError as exc:
            _fail(_phrase(exc))
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
    _exit(result, allow_unrendered)


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
    from schema_audit.cli_fleet import audit_targets

    if fmt is Format.github:
        _fail(["--targets writes terminal or json output (and --report/--html), not github"])
    try:
        summary = audit_targets(
            targets,
            spec=spec,
            variables=_variables(var),
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
            write=_write,
        )
    except SchemaAuditError as exc:
        _fail(_phrase(exc))
    for row in summary.rows:
        if row.error:
            typer.echo(f"schema-audit: {row.name}: {row.error}", err=True)
    raise typer.Exit(summary.exit_code())


@app.command()
def merge(
    results: Annotated[
        list[Path], typer.Argument(help="JSON results of audit runs (--format json).")
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the fleet JSON here.")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the fleet Markdown summary here.")
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write the fleet HTML summary here.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
) -> None:
    """Combine the JSON results of separate runs (a CI matrix, one job per database) into one
    fleet summary: one row per result file, then the findings that differ between them.

    Example: schema-audit merge results/*.json -o fleet.json --report fleet.md --html fleet.html
    """
    from schema_audit.cli_fleet import emit
    from schema_audit.fleet.summary import outcomes_from_files, summarise

    try:
        summary = summarise(outcomes_from_files(results))
    except SchemaAuditError as exc:
        _fail(_phrase(exc))
    fmt = "json" if output else "terminal"
    emit(summary, fmt=fmt, output=output, report=report, html=html, quiet=quiet, write=_write)
    if output and not quiet:
        sys.stdout.write(f"fleet: {summary.verdict} ({len(summary.rows)} result(s))\n")
    raise typer.Exit(summary.exit_code())


def _phrase(error: SchemaAuditError) -> list[str]:
    """The library names what is wrong; the CLI names the options that fix it."""
    from schema_audit import errors
    from schema_audit.sources.live import LiveTimeoutError

    if isinstance(error, errors.SourceChoiceError):
        got = ", ".join(f"--{name}" for name in error.given)
        return [
            "name exactly one source: --dsn, --migrations or --sql"
            + (f" (got {got})" if got else "")
        ]
    if isinstance(error, errors.ReplayTargetError):
        return [
            "--replay runs probes only on a scratch database it creates; it never writes to a "
            "--dsn target. Give --migrations or --sql (and --scratch-dsn for a server of your own)."
        ]
    if isinstance(error, errors.ReplayHistoryError):
        return ["--replay needs exactly one history: --migrations or --sql"]
    if isinstance(error, LiveTimeoutError):
        return [f"{line} (--lock-timeout, --statement-timeout)" for line in error.problems]
    return error.problems


def _reporter(quiet: bool = False):
    """Progress on stderr when someone watches: a terminal, or SCHEMA_AUDIT_PROGRESS=1 (CI
    logs); never with SCHEMA_AUDIT_PROGRESS=0 or --quiet."""
    from schema_audit.progress import SILENT, StderrReporter

    setting = os.environ.get("SCHEMA_AUDIT_PROGRESS", "").strip().lower()
    if quiet or setting in ("0", "no", "never", "false"):
        return SILENT
    if setting in ("1", "yes", "always", "true") or sys.stderr.isatty():
        return StderrReporter()
    return SILENT


def _scratch_kept(scratch: str) -> None:
    from schema_audit.redact import scrub

    typer.echo(f"schema-audit: scratch database kept: {scrub(scratch)}", err=True)


def _exit(result, allow_unrendered: bool = False) -> NoReturn:
    """Exit 2 when part of a static history is missing from the model (a statement nothing
    could parse, a revision that could not be rendered) or a replay stopped: each named on
    stderr, after the full audit; else the result's exit code at its --fail-on threshold."""
    from schema_audit.redact import mask_secrets, scrub

    blocking = _gaps(result.model, result.source_kind, allow_unrendered)
    for line in blocking:
        typer.echo(mask_secrets(f"schema-audit: {line}"), err=True)
    for finding in result.findings:  # a stopped replay is said on stderr too, in one line
        if finding.id.startswith("migrations.replay-failed."):
            typer.echo(mask_secrets(f"schema-audit: {scrub(finding.message)}"), err=True)
    stopped = any(f.id.startswith("migrations.replay-failed.") for f in result.findings)
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

    makers = {
        "md": lambda: render("markdown", date=date, verbose=verbose, trend=trend),
        "html": lambda: render("html", date=date, verbose=verbose, trend=trend),
        "json": lambda: render("json_report", detail=json_detail, trend=trend),
        "junit": lambda: render("junit", trend=trend),
        "sarif": lambda: render("sarif", trend=trend),
    }
    targets: list[tuple[Path, str]] = []
    if output_dir is not None:
        stem = Path(result.spec.path).stem
        targets += [
            (output_dir / f"{stem}_report.md", "md"),
            (output_dir / f"{stem}_report.html", "html"),
            (output_dir / f"{stem}_report.json", "json"),
            (output_dir / f"{stem}_junit.xml", "junit"),
            (output_dir / f"{stem}.sarif", "sarif"),
        ]
    targets += [
        (path, kind)
        for path, kind in ((report, "md"), (html, "html"), (junit, "junit"), (sarif, "sarif"))
        if path
    ]
    for path, kind in targets:
        _write(path, makers[kind]())


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
    if fmt in (Format.github, Format.gitlab):
        if fmt is Format.github:
            from schema_audit.render import github
            from schema_audit.render.terminal import printable_lines

            text = printable_lines(github.render(result, limit=top, trend=trend))
        else:
            from schema_audit.render import gitlab

            text = gitlab.render(result)
    elif fmt is Format.json:
        from schema_audit.render import json_report

        text = json_report.render(result, detail=json_detail, trend=trend)
    elif output:
        text = _terminal_text(
            result, verbose=verbose, width=140, terminal=False, top=top, trend=trend
        )
    elif quiet:
        from schema_audit.render import digest

        _stdout(digest.verdict_line(result, digest.build(result)) + "\n")
        return
    else:
        tty = sys.stdout.isatty()
        width = shutil.get_terminal_size().columns if tty else 160
        text = _terminal_text(
            result, verbose=verbose, width=width, terminal=tty, top=top, trend=trend
        )
    if output:
        _write(output, text)
    elif not quiet:
        _stdout(text)


def _terminal_text(
    result, *, verbose: bool, width: int, terminal: bool, top: int = 10, trend=None
) -> str:
    """The terminal summary as text, so known passwords can be masked before it is shown."""
    import io

    from rich.console import Console

    from schema_audit.render import terminal as terminal_render

    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, force_terminal=terminal, no_color=not terminal, highlight=False
    )
    terminal_render.render(result, console, verbose=verbose, top=top, trend=trend)
    return buffer.getvalue()


def _write(path: Path, text: str) -> None:
    """Write atomically: a half-written report must never replace a good one.

    Only regular files are replaced: ``-o /dev/null`` or a named pipe is written to, never
    swapped for a file (as root, a rename would replace the device itself).
    """
    from schema_audit.redact import mask_secrets

    text = mask_secrets(text)
    try:
        if path.exists() and not path.is_file():
            with path.open("w", encoding="utf-8") as target:
                target.write(text)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        _fail([f"cannot write {path}: {exc.strerror}"])


@app.command()
def inspect(
    dsn: DsnOpt = None,
    migrations: MigrationsOpt = None,
    sql: SqlOpt = None,
    schema: SchemaOpt = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write JSON here.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="Only json for now.")] = "json",
    indent: Annotated[
        int | None,
        typer.Option("--indent", help="Pretty-print with this indent (default: compact, fastest)."),
    ] = None,
    allow_unrendered: AllowUnrenderedOpt = False,
    no_exec: NoExecOpt = False,
    search_path: SearchPathOpt = None,
) -> None:
    """Print the schema model a source yields, as JSON.

    Example: schema-audit inspect --dsn postgresql://app@db/app > model.json
    """
    _known_dsns(dsn)
    import json

    from schema_audit.model import to_data

    source = _read_source(dsn, migrations, sql, schema, no_exec, search_path)
    text = (
        json.dumps(
            {
                "source": {"kind": source.kind, "target": source.target, "layout": source.layout},
                "model": to_data(source.model),
            },
            indent=indent,
            ensure_ascii=False,
            sort_keys=True,
        )
        + "\n"
    )
    if output:
        _write(output, text)
    else:
        _stdout(text)
    _exit_on_gaps(source.model, source.kind, allow_unrendered)


@app.command("validate-spec")
def validate_spec(
    spec: Annotated[Path, typer.Argument(help="Spec YAML to check.")],
    var: VarOpt = None,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Print the effective spec (after extends:, merge keys and variables): every "
            "requirement with the file:line it came from.",
        ),
    ] = False,
    spec_allow: SpecAllowOpt = None,
) -> None:
    """Check a spec for typos and unknown keys without auditing anything.

    Example: schema-audit validate-spec specs/schema.yaml
    """
    from schema_audit.spec.load import SpecError, load_spec

    try:
        loaded = load_spec(spec, _variables(var), allowed_roots=spec_allow or ())
    except SpecError as exc:
        _fail(exc.problems)
    if explain:
        from schema_audit.spec.explain import explain as explain_spec

        _stdout(explain_spec(loaded))
    typer.echo(
        f"{spec}: OK ({len(loaded.requirements)} requirements, {len(loaded.questions)} questions)"
    )


@app.command("spec-schema")
def spec_schema() -> None:
    """Print the JSON Schema of the spec format (for editors: yaml-language-server).

    Example: schema-audit spec-schema > specs/spec.schema.json, then start the spec with
    the line  # yaml-language-server: $schema=./spec.schema.json
    """
    import json

    from schema_audit.spec.schema import SPEC_SCHEMA

    sys.stdout.write(json.dumps(SPEC_SCHEMA, indent=2) + "\n")


@app.command()
def config(ctx: typer.Context) -> None:
    """Show the effective configuration and where each value comes from.

    Example: schema-audit config
    """
    from schema_audit.config import KEYS

    loaded = ctx.obj
    defaults = _option_defaults(ctx.find_root().command)
    for key in KEYS:
        if loaded is not None and key in loaded.values:
            typer.echo(f"{key} = {_plain(loaded.values[key])}  ({loaded.source})")
        elif defaults.get(key) is not None:
            typer.echo(f"{key} = {_plain(defaults[key])}  (built-in default)")
        else:
            typer.echo(f"{key}: not set (no default; the command line can set it)")


def _option_defaults(root: object) -> dict[str, object]:
    """Each long option's default, as the commands declare it (the first command to declare
    an option wins: they share defaults)."""
    found: dict[str, object] = {}
    for command in getattr(root, "commands", {}).values():
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--"):
                    found.setdefault(opt[2:], param.default)
    return found


def _plain(value: object) -> str:
    """A configuration value as a user writes it: no Python quoting, booleans in lower case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value) or "(empty)"
    return str(getattr(value, "value", value))


@app.command()
def init(
    dsn: DsnOpt = None,
    migrations: MigrationsOpt = None,
    sql: SqlOpt = None,
    schema: SchemaOpt = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the spec.")] = Path(
        "schema-audit.yaml"
    ),
    name: Annotated[str | None, typer.Option("--name", help="The spec's name.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    tables: Annotated[
        list[str] | None,
        typer.Option("--tables", help="Only tables matching this glob (repeatable)."),
    ] = None,
    only: Annotated[
        str | None,
        typer.Option(
            "--only",
            help="Only these kinds in table entries, comma-separated: columns, primary_key, "
            "unique, checks, foreign_keys, indexes, rls, policies, triggers, privileges.",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict/--no-strict",
            help="Write strict: so a new table, column, index, policy, trigger or grant FAILs.",
        ),
    ] = True,
    expires_in: Annotated[
        int,
        typer.Option("--expires-in", help="Days until the waivers init writes expire.", min=1),
    ] = 90,
    tenant_column: Annotated[
        str | None,
        typer.Option(
            "--tenant-column", help="The tenant column (default: detected from the schema)."
        ),
    ] = None,
    allow_unrendered: AllowUnrenderedOpt = False,
    no_exec: NoExecOpt = False,
    search_path: SearchPathOpt = None,
) -> None:
    """Write a spec that requires exactly what a source has today, to edit and commit.

    Strict by default: a table, column, index, policy, trigger or grant added later FAILs.
    The tenant column is detected and written as a match: selector.

    Example: schema-audit init --migrations alembic/ -o specs/schema.yaml
    """
    _known_dsns(dsn)
    import datetime

    from schema_audit.spec.bootstrap import TABLE_KINDS, spec_from_model
    from schema_audit.spec.tenancy import detect

    if output.exists() and not force:
        _fail([f"{output} exists; use --force to overwrite it"])
    source = _read_source(dsn, migrations, sql, schema, no_exec, search_path)
    _exit_on_gaps(source.model, source.kind, allow_unrendered, "no spec written: ")
    from schema_audit.audit.history import history_findings
    from schema_audit.audit.rules import GROUPS, rules_for_spec
    from schema_audit.spec.model import Spec

    kinds = [k.strip() for k in (only or "").split(",") if k.strip()]
    unknown = [k for k in kinds if k not in TABLE_KINDS]
    if unknown:
        _fail([f"--only {unknown[0]!r}: kinds are {', '.join(TABLE_KINDS)}"])
    tenant = detect(source.model, tenant_column)
    settings = {"tenant_column": tenant.column} if tenant else {}
    found = rules_for_spec(
        source.model,
        GROUPS,
        Spec("init", "", "", settings=settings),
        source.kind,
        migrations or sql,
    )
    expires = (datetime.date.today() + datetime.timedelta(days=expires_in)).isoformat()
    text = spec_from_model(
        source.model,
        name=name or f"Schema of {source.target}",
        source=f"{source.kind} {source.target}",
        # inline-suppressed rule findings stay so; migration-history findings (multiple heads,
        # a missing downgrade …) are accepted too, so the first audit of this source is green
        rule_findings=[f for f in [*found, *history_findings(source.issues)] if f.status == "FAIL"],
        tables=tables,
        only=kinds or None,
        tenant=tenant,
        expires=expires,
        strict=strict,
    )
    _write(output, text)
    typer.echo(
        f"wrote {output}: {len(source.model.tables)} tables, {len(source.model.views)} views"
        + (f" (read as {source.layout})" if source.layout else "")
    )


@app.command("lint-migrations")
def lint_migrations(
    path: Annotated[
        Path, typer.Argument(help="Alembic project, folder of SQL migrations, or one .sql file.")
    ],
    allow: Annotated[
        list[str] | None,
        typer.Option("--allow", help="Rule id or name to accept (repeatable, or comma-separated)."),
    ] = None,
    assume_populated: Annotated[
        bool,
        typer.Option(
            help="Treat every pre-existing table as holding rows (stricter SET NOT NULL check)."
        ),
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.terminal,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the output to this file.")
    ] = None,
    allow_unrendered: AllowUnrenderedOpt = False,
    no_exec: NoExecOpt = False,
    search_path: SearchPathOpt = None,
    online: Annotated[
        bool,
        typer.Option(
            "--online",
            help="Also the online-safety rules SA101–SA108 (locks and rewrites on existing tables; "
            "docs/lint-online.md).",
        ),
    ] = False,
) -> None:
    """Flag destructive changes in upgrade paths (DROP, TRUNCATE, RLS off, narrowing types, SET NOT NULL).

    Examples:

      schema-audit lint-migrations alembic/

      schema-audit lint-migrations db/migrations --allow drop-index --format json
    """
    import json

    from schema_audit.lint import RULES, lint
    from schema_audit.sources.alembic import MigrationSourceError

    if not path.exists():
        _fail([f"{path}: no such file or directory"])
    try:
        result = lint(
            path,
            allow=allow,
            assume_populated=assume_populated,
            execute=not no_exec,
            search_path=_search_path(search_path),
            online=online,
        )
    except (ValueError, MigrationSourceError) as exc:
        _fail([str(exc)])
    if fmt is Format.github:
        from schema_audit.render.github import annotation

        text = "".join(
            annotation(
                "error", f"{v.rule} {v.name}: {v.message}", f"{v.rule} {v.name}", v.file, v.line
            )
            + "\n"
            for v in result.violations
        )
    elif fmt is Format.json:
        text = (
            json.dumps(
                {
                    "path": str(path),
                    "rules": {
                        rule: {"name": name, "description": text}
                        for rule, (name, text) in RULES.items()
                    },
                    "statements": result.statements,
                    "migrations": result.files,
                    "layout": result.layout,
                    "unread": result.unread + result.unrendered,
                    "violations": [vars_of(v) for v in result.violations],
                    "allowed": [vars_of(v) for v in result.allowed],
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
    else:
        lines = [
            f"{v.file}:{v.line}: {v.rule} {v.name}: {v.message}"
            + (f" (revision {v.revision})" if v.revision else "")
            for v in result.violations
        ]
        lines += [
            f"{v.file}:{v.line}: {v.rule} {v.name} ignored: {v.suppressed}"
            for v in result.allowed
            if v.suppressed
        ]
        lines.append(
            f"{len(result.violations)} destructive change(s) in {result.files} migration(s), "
            f"{result.statements} statement(s) checked"
            + (f"; {len(result.allowed)} allowed" if result.allowed else "")
            + (f" ({result.layout})" if result.layout else "")
        )
        text = "\n".join(lines) + "\n"
    if fmt is not Format.json:
        from schema_audit.render.terminal import printable_lines

        text = printable_lines(text)
    if output:
        _write(output, text)
    else:
        _stdout(text)
    # what could not be read is named; it makes the exit 2 (unrendered revisions: unless accepted)
    for line in result.unread + result.unrendered:
        _fail_line(line)
    if result.unread or (result.unrendered and not allow_unrendered):
        raise typer.Exit(2)
    raise typer.Exit(1 if result.violations else 0)


def vars_of(obj: object) -> dict:
    from schema_audit.model import to_data

    return to_data(obj)  # type: ignore[return-value]


@app.command()
def diff(
    left: Annotated[
        str, typer.Argument(help="A source: DSN, Alembic project, SQL folder or .sql file.")
    ],
    right: Annotated[str, typer.Argument(help="The other source.")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.terminal,
    schema: SchemaOpt = None,
    allow_unrendered: AllowUnrenderedOpt = False,
    no_exec: NoExecOpt = False,
    search_path: SearchPathOpt = None,
) -> None:
    """Print every object that differs between two sources; exit 1 on drift.

    Example: schema-audit diff migrations/ postgresql://app@prod/app   (does production match the migrations?)
    """
    _known_dsns(left, right)
    import json

    from schema_audit.modeldiff import diff_models
    from schema_audit.sources.select import load_any

    try:
        a = load_any(
            left,
            schemas=schema,
            execute=not no_exec,
            search_path=_search_path(search_path),
            reporter=_reporter(),
        )
        b = load_any(
            right,
            schemas=schema,
            execute=not no_exec,
            search_path=_search_path(search_path),
            reporter=_reporter(),
        )
    except SchemaAuditError as exc:
        _fail(_phrase(exc))
    for model in (a.model, b.model):
        model.tables.pop("public.alembic_version", None)  # Alembic's bookkeeping, not schema
    differences = diff_models(a.model, b.model)
    if fmt is Format.json:
        _stdout(
            json.dumps(
                {
                    "left": {"kind": a.kind, "target": a.target},
                    "right": {"kind": b.kind, "target": b.target},
                    # each side as SQL text; null: the object is not on that side
                    "differences": [d.to_data() for d in differences],
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
    else:
        from schema_audit.render.terminal import printable_lines

        _stdout(
            printable_lines("".join(f"{d}\n" for d in differences))
            + f"{len(differences)} difference(s) between {a.kind} {a.target} and {b.kind} {b.target}\n"
        )
    for source in (a, b):
        _exit_on_gaps(source.model, source.kind, allow_unrendered, f"{source.target}: ")
    raise typer.Exit(1 if differences else 0)


def _name_option_values(command: typer.core.TyperGroup | typer.core.TyperCommand) -> None:
    """Name each option's value after what it holds (``--dsn DSN``, ``--spec PATH``, ``--lock-timeout N``).

    Typer shows the Python annotation instead (``<str>``, ``<list[str]>``), which tells a user
    nothing about what to type; choices keep their ``[a|b]`` list and flags take no value.
    """
    for param in command.params:
        if getattr(param, "is_flag", False) or param.metavar is not None:
            continue
        bare = param.bare_type() if hasattr(param, "bare_type") else ""
        if "Path" in bare:
            param.metavar = "PATH"
        elif bare in ("int", "list[int]"):
            param.metavar = "N"
        elif bare in ("str", "list[str]"):
            longest = max(param.opts, key=len).lstrip("-")
            param.metavar = "NAME=VALUE" if longest == "var" else longest.upper().replace("-", "_")
    for sub in getattr(command, "commands", {}).values():
        _name_option_values(sub)


class Interrupted(BaseException):
    """Ctrl-C, kept apart from errors: nothing may catch it as one."""


def _raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted


def main() -> None:
    """Console-script entry point: no traceback ever reaches the user.

    Ctrl-C raises :class:`Interrupted` rather than KeyboardInterrupt: typer turns the latter
    into a silent exit 130, and library code that cleans up on ``except Exception`` (a failed
    initdb, say) would report an interrupt as an environment failure. ``finally`` blocks still
    run, so a throwaway cluster is stopped on the way out.
    """
    import signal

    import typer.main

    command = typer.main.get_command(app)
    _name_option_values(command)
    signal.signal(signal.SIGINT, _raise_interrupted)
    try:
        code = command.main(standalone_mode=False)
    except SystemExit:
        raise
    except (Interrupted, KeyboardInterrupt, typer.Abort):
        typer.echo("schema-audit: interrupted", err=True)
        sys.exit(130)
    except click_exceptions() as exc:  # usage errors: Click's own message, exit 2
        exc.show()
        sys.exit(exc.exit_code)
    except Exception as exc:  # the last line of defence: one line, exit 2
        if os.environ.get("SCHEMA_AUDIT_DEBUG"):
            raise
        from schema_audit.redact import scrub

        typer.echo(
            f"schema-audit: internal error: {type(exc).__name__}: {scrub(str(exc))} "
            "(set SCHEMA_AUDIT_DEBUG=1 for a traceback)",
            err=True,
        )
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


def click_exceptions() -> type[Exception]:
    """Click's exception base: recent typer vendors its own copy of Click, older typer uses Click."""
    import importlib

    import typer.main

    click = getattr(typer.main, "_click", None) or importlib.import_module("click")
    return click.ClickException


if __name__ == "__main__":
    main()
