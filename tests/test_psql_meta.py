"""psql meta-commands a static reading cannot follow (``\\i``, ``\\ir``, ``\\include``,
``\\include_relative``, ``\\gexec``, ``\\gset``) are reported with file:line, never dropped.

They were blanked like ``\\echo``: a table an included file made was missing from the static
model without a word, and a strict set of tables PASSed a history psql builds with one more.
Now each is an unapplied statement (anything may have changed), so what it could change is
DEFERRED and ``init --sql`` warns; the same on the in-process path and through the parsing
child (``parse_ahead``). ``\\gexec`` / ``\\gset`` on their own line also end the query before
them (psql sends it there): the statement after it is no longer swallowed with it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from history_paths import PATHS, read_history
from typer.testing import CliRunner

from schema_audit.cli import app
from schema_audit.model import Effect
from schema_audit.sources import parse_ahead, statements
from schema_audit.sources.scratch_cluster import find_bindir

SCRIPT = """\
CREATE TABLE a (id int PRIMARY KEY);
\\i tables.sql
  \\ir tables.sql
\\include tables.sql
\\include_relative tables.sql
SELECT 'CREATE TABLE c (id int)'
\\gexec
CREATE TABLE d (id int);
SELECT format('CREATE TABLE %I (x int)', 'e') \\gexec
SELECT 'a\\gexec' AS x;
-- a comment naming \\gset
SELECT 1 AS one \\gset
CREATE TABLE f (id int);
"""


@pytest.fixture(autouse=True)
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "0")


@PATHS
def test_each_meta_command_is_an_unapplied_statement_with_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = tmp_path / "history"
    history.mkdir()
    (history / "001_init.sql").write_text(SCRIPT)
    cut_here: list[str] = []  # texts this process cut itself (the child's are not seen here)
    real = statements.split_statements

    def cutting(sql: str, psql_meta: bool = False) -> Iterator[statements.Statement]:
        cut_here.append(sql)
        return real(sql, psql_meta)

    monkeypatch.setattr(statements, "split_statements", cutting)
    monkeypatch.setattr(parse_ahead, "split_statements", cutting)
    model = read_history(history, monkeypatch, ahead)
    assert bool(cut_here) != ahead  # the parsing child cut every statement, or this process did
    meta = [(u.file, u.line, u.sql, u.kind) for u in model.unapplied if u.kind == "dynamic"]
    assert meta == [
        ("history/001_init.sql", 2, "\\i tables.sql", "dynamic"),
        ("history/001_init.sql", 3, "\\ir tables.sql", "dynamic"),
        ("history/001_init.sql", 4, "\\include tables.sql", "dynamic"),
        ("history/001_init.sql", 5, "\\include_relative tables.sql", "dynamic"),
        ("history/001_init.sql", 7, "\\gexec", "dynamic"),
        ("history/001_init.sql", 9, "\\gexec", "dynamic"),
        ("history/001_init.sql", 12, "\\gset", "dynamic"),
    ]
    assert all(
        u.effects == [Effect("*", "*", sticky=True)] and "not read statically" in u.reason
        for u in model.unapplied
        if u.kind == "dynamic"
    )
    # nothing else is unapplied: the statement after a \gexec line is read, a '\gexec' in a
    # string and a \gset in a comment are not commands
    assert [u for u in model.unapplied if u.kind not in ("dynamic", "data")] == []
    assert sorted(model.tables) == ["public.a", "public.d", "public.f"]


def _psql_f(dsn: str, script: Path) -> None:
    psql = shutil.which("psql") or str(find_bindir() / "psql")
    subprocess.run(
        [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(script)],
        check=True,
        cwd=script.parent,
    )


def _audit(*args: str) -> tuple[dict, str]:
    result = CliRunner().invoke(app, ["audit", "-f", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout), result.stderr


def _strict_tables(doc: dict) -> str:
    return next(f["status"] for f in doc["findings"] if f["id"] == "strict.tables")


def test_a_strict_set_is_not_passed_by_a_history_whose_included_file_is_unread(
    make_db, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """`\\ir tables.sql` adds table b where psql runs the script: init --sql's spec (tables a
    and f, strict) FAILs on that database. Audited against the history itself it PASSed (the
    included file dropped silently): now DEFERRED, and init --sql says where."""
    (tmp_path / "schema.sql").write_text(
        "CREATE TABLE a (id int PRIMARY KEY);\n"
        "\\ir tables.sql\n"
        "CREATE TABLE f (id int PRIMARY KEY);\n"
    )
    (tmp_path / "tables.sql").write_text("CREATE TABLE b (id int PRIMARY KEY);\n")
    dsn = make_db("psqlmeta")
    _psql_f(dsn, tmp_path / "schema.sql")
    spec = tmp_path / "spec.yaml"
    init = CliRunner().invoke(app, ["init", "--sql", str(tmp_path / "schema.sql"), "-o", str(spec)])
    assert init.exit_code == 0, init.output
    assert "could not be applied statically (first at schema.sql:2)" in init.stderr
    live, _ = _audit("-s", str(spec), "--dsn", dsn)
    assert _strict_tables(live) == "FAIL"  # PostgreSQL: table b is there
    static, _ = _audit("-s", str(spec), "--sql", str(tmp_path / "schema.sql"))
    assert _strict_tables(static) == "DEFERRED"


def test_lint_names_each_meta_command_as_a_partial_lint(tmp_path: Path) -> None:
    """lint-migrations linted around an included file without a word: now each command is
    named with file:line and the lint is partial (exit 2 unless --allow-unrendered)."""
    history = tmp_path / "history"
    history.mkdir()
    (history / "001_init.sql").write_text(SCRIPT)
    result = CliRunner().invoke(app, ["lint-migrations", str(history)])
    assert result.exit_code == 2, result.output
    assert "history/001_init.sql:2: psql meta-command \\i includes another file" in result.stderr
    assert result.stderr.count("psql meta-command") == 7
    accepted = CliRunner().invoke(app, ["lint-migrations", "--allow-unrendered", str(history)])
    assert accepted.exit_code == 0, accepted.output
