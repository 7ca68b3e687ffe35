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

from collections.abc import Iterator
from pathlib import Path

import pytest
from history_paths import PATHS, read_history, write_history
from typer.testing import CliRunner

from schema_audit.cli import app
from schema_audit.model import Effect
from schema_audit.sources import parse_ahead, statements

SCRIPT = """\
CREATE TABLE a (id int PRIMARY KEY);
\\i inc/t1.sql
  \\ir inc/t2.sql
\\include inc/t3.sql
\\include_relative inc/t4.sql
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
    history = _history(tmp_path)
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
    assert meta == [  # the included files are read (test_psql_include)
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
    assert sorted(model.tables) == ["public.a", "public.d", "public.f", *INCLUDED]


INCLUDED = ["public.t1", "public.t2", "public.t3", "public.t4"]


def _history(tmp_path: Path) -> Path:
    """A folder history of one file holding SCRIPT, and the four files it includes."""
    files = {"001_init.sql": SCRIPT}
    for table in INCLUDED:
        name = table.split(".")[1]
        files[f"inc/{name}.sql"] = f"CREATE TABLE {name} (id int);\n"
    return write_history(tmp_path, files)


def test_lint_names_each_meta_command_as_a_partial_lint(tmp_path: Path) -> None:
    """lint-migrations linted around an included file without a word: now each command it
    does not follow is named with file:line and the lint is partial (exit 2 unless
    --allow-unrendered). Included files are linted in place (test_replay_psql)."""
    history = _history(tmp_path)
    result = CliRunner().invoke(app, ["lint-migrations", str(history)])
    assert result.exit_code == 2, result.output
    assert "history/001_init.sql:7: psql meta-command \\gexec runs the query" in result.stderr
    assert "includes another file" not in result.stderr
    assert result.stderr.count("psql meta-command") == 3
    accepted = CliRunner().invoke(app, ["lint-migrations", "--allow-unrendered", str(history)])
    assert accepted.exit_code == 0, accepted.output
