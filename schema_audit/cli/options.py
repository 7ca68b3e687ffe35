"""The options several commands share, declared once so each reads and helps the same.

A command module imports the ones it takes from here; an option only one command has
is declared in that command's signature.
"""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

# The largest value PostgreSQL takes for statement_timeout / lock_timeout (an int GUC, ms).
PG_INT_MAX = 2**31 - 1


def positive_seconds(value: float) -> float:
    """A duration in seconds must be a number above zero: ``-5``, ``0``, ``nan`` and ``inf``
    would stop every database at once or never (a usage error, exit 2)."""
    if not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"{value} is not a number of seconds above zero")
    return value


class Format(StrEnum):
    """``audit``'s outputs."""

    terminal = "terminal"
    json = "json"
    github = "github"
    gitlab = "gitlab"


# Each command offers only the formats it writes: a format it would not honour (``diff -f
# github`` printed the terminal text) is a usage error, never a silent substitute.
class LintFormat(StrEnum):
    terminal = "terminal"
    json = "json"
    github = "github"


class DiffFormat(StrEnum):
    terminal = "terminal"
    json = "json"


class InspectFormat(StrEnum):
    json = "json"


class JsonDetail(StrEnum):
    passes = "passes"
    failures = "failures"


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
# One meaning wherever it appears: at most this many database connections at once.
JobsOpt = Annotated[
    int,
    typer.Option(
        "--jobs",
        min=1,
        help="Database connections at once. With --dsn: connections reading the catalog on one "
        "snapshot, as pg_dump -j (1 for servers that cap connections). With --targets: "
        "databases audited at once, one connection each.",
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
AllowUnrenderedOpt = Annotated[
    bool,
    typer.Option(
        "--allow-unrendered",
        help="Accept a partial model: Alembic revisions that could not be rendered (and, to "
        "lint-migrations, psql's \\i / \\gexec … it does not follow) are named on stderr but do "
        "not make the exit code 2.",
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
SchemaOpt = Annotated[
    list[str] | None,
    typer.Option("--schema", help="Only read these schemas (repeatable; any source)."),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
LintFormatOpt = Annotated[LintFormat, typer.Option("--format", "-f", help="Output format.")]
DiffFormatOpt = Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format.")]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the output to this file.")
]
