"""``schema-audit lint-migrations``: destructive changes in a history's upgrade paths.

parse -> ``api.lint`` -> ``render/lint.py`` -> file or stdout -> exit 2 when part of the
history could not be read (unrendered revisions: unless accepted), 1 on a violation, else 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from schema_audit.cli.common import emit, fail, fail_line, parse_search_path
from schema_audit.cli.options import (
    AllowUnrenderedOpt,
    LintFormat,
    LintFormatOpt,
    NoExecOpt,
    OutputOpt,
    SearchPathOpt,
)


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
    fmt: LintFormatOpt = LintFormat.terminal,
    output: OutputOpt = None,
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
    from schema_audit import api
    from schema_audit.render import lint as render
    from schema_audit.sources.alembic import MigrationSourceError
    from schema_audit.sources.psqlinclude import IncludeError

    if not path.exists():
        fail([f"{path}: no such file or directory"])
    try:
        result = api.lint(
            path,
            allow=allow or (),
            assume_populated=assume_populated,
            execute=not no_exec,
            search_path=parse_search_path(search_path),
            online=online,
        )
    except (ValueError, MigrationSourceError, IncludeError) as exc:
        fail([str(exc)])
    if fmt is LintFormat.github:
        text = render.github(result)
    elif fmt is LintFormat.json:
        text = render.json_text(result, str(path))
    else:
        text = render.terminal(result)
    emit(text, output)
    # what could not be read is named; it makes the exit 2 (unrendered revisions: unless accepted)
    for line in result.unread + result.unrendered:
        fail_line(line)
    if result.unread or (result.unrendered and not allow_unrendered):
        raise typer.Exit(2)
    raise typer.Exit(1 if result.violations else 0)
