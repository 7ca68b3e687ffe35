"""``schema-audit inspect``: the schema model a source yields, as JSON.

parse -> ``api.read_source`` -> ``render/inspect.py`` -> file or stdout -> exit 2 when part
of a static source is missing from the model, else 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from schema_audit.cli.common import emit, exit_on_gaps, keep_until_exit, known_dsns, read_source
from schema_audit.cli.options import (
    AllowUnrenderedOpt,
    DsnOpt,
    InspectFormat,
    JobsOpt,
    MigrationsOpt,
    NoExecOpt,
    SchemaOpt,
    SearchPathOpt,
    SqlOpt,
)


def inspect(
    dsn: DsnOpt = None,
    migrations: MigrationsOpt = None,
    sql: SqlOpt = None,
    schema: SchemaOpt = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write JSON here.")] = None,
    fmt: Annotated[
        InspectFormat, typer.Option("--format", "-f", help="Only json for now.")
    ] = InspectFormat.json,
    indent: Annotated[
        int | None,
        typer.Option(
            "--indent", min=0, help="Pretty-print with this indent (default: compact, fastest)."
        ),
    ] = None,
    allow_unrendered: AllowUnrenderedOpt = False,
    no_exec: NoExecOpt = False,
    search_path: SearchPathOpt = None,
    jobs: JobsOpt = 4,
) -> None:
    """Print the schema model a source yields, as JSON.

    Example: schema-audit inspect --dsn postgresql://app@db/app > model.json
    """
    known_dsns(dsn)
    from schema_audit.render import inspect as render

    render.prepare()  # while the read's other process works: not after the read (JSON's way)
    source = read_source(dsn, migrations, sql, schema, no_exec, search_path, jobs)
    _warn(source.issues)
    emit(render.json_chunks(source, indent=indent), output)
    keep_until_exit(source)
    exit_on_gaps(source.model, source.kind, allow_unrendered)


def _warn(issues: list) -> None:
    """One stderr line per problem of the folder or history that is not just information
    (a migration folder not read, files in an order that is not the applied one, a
    revision rendered from its syntax tree …): ``audit`` reports them as findings, and the
    model ``inspect`` prints is only as whole as they say. Before, inspect said nothing."""
    for issue in issues:
        severity = getattr(issue, "severity", "warning")
        if severity == "info":
            continue
        where = issue.file or ""
        if where and issue.line:
            where += f":{issue.line}"
        if where and issue.message.startswith(f"{where}:"):
            where = ""  # the message names it already (a syntax error's file:line)
        typer.echo(
            f"schema-audit: {severity}: {issue.code}: {where + ': ' if where else ''}{issue.message}",
            err=True,
        )
