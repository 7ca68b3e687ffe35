"""``schema-audit diff``: every object that differs between two sources.

parse -> ``api.compare`` -> ``render/diff.py`` -> stdout -> exit 2 when either side could not
be read whole, 1 on drift, else 0. What a static reading cannot decide is listed as
undecided and is not drift (``audit`` DEFERs it: a DEFERRED finding never fails either).
"""

from __future__ import annotations

from typing import Annotated

import typer

from schema_audit.cli.common import (
    exit_on_gaps,
    fail,
    known_dsns,
    parse_search_path,
    phrase,
    reporter,
    stdout,
)
from schema_audit.cli.options import (
    AllowUnrenderedOpt,
    DiffFormat,
    DiffFormatOpt,
    JobsOpt,
    NoExecOpt,
    SchemaOpt,
    SearchPathOpt,
)
from schema_audit.errors import SchemaAuditError


def diff(
    left: Annotated[
        str, typer.Argument(help="A source: DSN, Alembic project, SQL folder or .sql file.")
    ],
    right: Annotated[str, typer.Argument(help="The other source.")],
    fmt: DiffFormatOpt = DiffFormat.terminal,
    schema: SchemaOpt = None,
    allow_unrendered: AllowUnrenderedOpt = False,
    no_exec: NoExecOpt = False,
    search_path: SearchPathOpt = None,
    jobs: JobsOpt = 4,
) -> None:
    """Print every object that differs between two sources; exit 1 on drift.

    Example: schema-audit diff migrations/ postgresql://app@prod/app   (does production match the migrations?)
    """
    known_dsns(left, right)
    from schema_audit import api
    from schema_audit.render import diff as render

    try:
        comparison = api.compare(
            left,
            right,
            schemas=schema,
            execute=not no_exec,
            search_path=parse_search_path(search_path),
            reporter=reporter(),
            jobs=jobs,
        )
    except SchemaAuditError as exc:
        fail(phrase(exc))
    a, b, differences = comparison.left, comparison.right, comparison.differences
    if fmt is DiffFormat.json:
        stdout(render.json_text(a, b, differences, comparison.undecided))
    else:
        stdout(render.terminal(a, b, differences, comparison.undecided))
    for source in (a, b):
        exit_on_gaps(source.model, source.kind, allow_unrendered, f"{source.target}: ")
    raise typer.Exit(1 if differences else 0)
