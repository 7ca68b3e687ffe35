"""``schema-audit merge``: the JSON results of separate runs as one fleet summary.

parse -> ``fleet.summary`` (the same summary ``audit --targets`` ends in) -> the fleet
renderers -> files and stdout -> the fleet's exit code.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from schema_audit.cli.common import fail, phrase, write
from schema_audit.errors import SchemaAuditError


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
    from schema_audit.cli.fleet import emit
    from schema_audit.fleet.summary import outcomes_from_files, summarise

    try:
        summary = summarise(outcomes_from_files(results))
    except SchemaAuditError as exc:
        fail(phrase(exc))
    fmt = "json" if output else "terminal"
    emit(summary, fmt=fmt, output=output, report=report, html=html, quiet=quiet, write=write)
    if output and not quiet:
        sys.stdout.write(f"fleet: {summary.verdict} ({len(summary.rows)} result(s))\n")
    raise typer.Exit(summary.exit_code())
