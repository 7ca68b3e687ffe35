"""A runner's placeholder written as a comment (stack-auth's ``/* SCHEMA_NAME_SENTINEL */``,
which its runner replaces with the schema) makes the text a syntax error: PostgreSQL refuses
it as written, and so does the tool (exit 2). The one-line error now says what stands there;
other syntax errors read as before."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest
from cli_runner import run_cli

from schema_audit.sources.placeholders import placeholder_hint
from schema_audit.sources.statements import split_statements

FIXTURE = Path(__file__).parent / "data" / "prisma_schema_placeholder"
MIGRATION = FIXTURE / "migrations" / "20260101000000_domains" / "migration.sql"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env={"SCHEMA_AUDIT_CACHE": "0"})


def test_postgresql_refuses_the_text_as_written(make_db) -> None:  # type: ignore[no-untyped-def]
    index = MIGRATION.read_text().split("-- SPLIT_STATEMENT_SENTINEL")[1]
    with psycopg.connect(make_db("sentinel"), autocommit=True) as conn:
        conn.execute(MIGRATION.read_text().split("-- SPLIT_STATEMENT_SENTINEL")[0])
        with pytest.raises(psycopg.errors.SyntaxError, match='at or near "."'):
            conn.execute(index)
        conn.execute(
            index.replace("/* SCHEMA_NAME_SENTINEL */", "public")
        )  # as its runner sends it


def test_the_error_line_names_the_placeholder() -> None:
    proc = _cli("inspect", "--sql", str(FIXTURE))
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.startswith("schema-audit: ")]
    last = lines[-1]
    assert "migration.sql:10: syntax error" in last, proc.stderr
    assert "/* SCHEMA_NAME_SENTINEL */ stands where a name goes: a placeholder" in last


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE .x (id int)",  # a dot, no comment
        "CREATE TABLE /* two words */.x (id int)",  # not one word
        "CREATE TABLE /* schema */ x (id int) y",  # the error is not at the dot
    ],
)
def test_other_syntax_errors_get_no_hint(sql: str) -> None:
    (stmt,) = split_statements(sql, True)
    assert stmt.error is not None
    assert placeholder_hint(stmt.sql, stmt.error) == ""
