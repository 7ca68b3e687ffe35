"""Resource limits, tested on small inputs for the behaviour that makes large ones bounded.

The large figures (a 200 MB dump, a 10,000-revision history, a 50,000-requirement
spec) are measured by `make bench-limits` (benchmarks/limits.py); here: memory held
per statement rather than per file, nothing lost after a broken statement, histories
ordered without recursion or quadratic sorting, and progress on stderr only when asked.
"""

from __future__ import annotations

import subprocess
import tracemalloc
from pathlib import Path

from cli_runner import run_cli
from synthetic import write_alembic

from schema_audit.sources import statements as splitter
from schema_audit.sources.alembic import _order, _RevisionFile, render_history
from schema_audit.sources.ddl import DdlInterpreter, interpret
from schema_audit.sources.statements import split_statements

# A statement that costs a syntax tree but leaves nothing in the model (pg_dump noise).
NOISE = "SELECT pg_catalog.set_config('search_path', '', false);\n"


def test_statements_are_parsed_one_at_a_time(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The first statement arrives before the second is parsed: a dump is never one syntax tree."""
    calls: list[str] = []
    real = splitter._parse_one
    monkeypatch.setattr(
        splitter, "_parse_one", lambda chunk, *rest: calls.append(chunk) or real(chunk, *rest)
    )
    statements = split_statements("CREATE TABLE a (id int);\n" * 1000)
    first = next(statements)
    assert first.sql == "CREATE TABLE a (id int)" and len(calls) == 1
    assert sum(1 for _ in statements) == 999 and len(calls) == 1000


def _peak_bytes(sql: str) -> int:
    interpreter = DdlInterpreter()
    tracemalloc.start()
    interpreter.apply_sql(sql)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - len(sql)  # the text itself is the caller's


def test_memory_does_not_grow_with_the_number_of_statements() -> None:
    small, large = NOISE * 2_000, NOISE * 20_000
    peak_small, peak_large = _peak_bytes(small), _peak_bytes(large)
    # ten times the statements: the slices list grows (a few bytes each), the trees do not
    assert peak_large < 3 * peak_small + 2_000_000, (peak_small, peak_large)


def test_an_unclosed_parenthesis_loses_nothing_after_it() -> None:
    """PostgreSQL's scanner would fold the rest of the file into the broken statement (and pglast
    drops it); the coverage check hands such text to the lexer that ignores parentheses."""
    sql = "CREATE TABLE broken (id int;\n" + "".join(
        f"CREATE TABLE t{i} (id int PRIMARY KEY);\n" for i in range(300)
    )
    model = interpret(sql)
    assert len(model.tables) == 300
    errors = [u for u in model.unapplied if u.kind == "error"]
    assert len(errors) == 1 and errors[0].line == 1


def test_a_broken_statement_costs_a_bounded_number_of_parses(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls = []
    real = splitter._parse_one
    monkeypatch.setattr(
        splitter, "_parse_one", lambda chunk, *rest: calls.append(1) or real(chunk, *rest)
    )
    sql = "CREATE TABLE x (id int,, b int);\n" + "CREATE TABLE y (id int);\n" * 2_000
    assert len(list(split_statements(sql))) == 2_001
    assert len(calls) <= 2_001 + splitter.MAX_JOINED_PIECES


def test_begin_atomic_bodies_are_joined_back() -> None:
    sql = (
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n"
        "CREATE TABLE after_it (id int);\n"
    )
    model = interpret(sql)
    assert "public.f()" in model.functions and "public.after_it" in model.tables
    assert model.unapplied == []


def test_ten_thousand_revisions_are_ordered_without_recursion() -> None:
    files = {
        f"r{n:05d}": _RevisionFile(
            path=Path(f"r{n:05d}.py"),
            revision=f"r{n:05d}",
            down=[f"r{n - 1:05d}"] if n else [],
            message="",
            has_downgrade=True,
            needs_connection=None,
            tree=None,  # type: ignore[arg-type]
            calls=[],
        )
        for n in range(10_000)
    }
    order, heads = _order(files, [])
    assert order == sorted(files) and heads == ["r09999"]


def test_progress_goes_to_stderr_only_when_asked(tmp_path: Path) -> None:
    project = write_alembic(tmp_path, 30)
    history = render_history(project)
    assert len(history.revisions) == 30

    def inspect(progress: str) -> subprocess.CompletedProcess[str]:
        return run_cli(
            "inspect",
            "--migrations",
            str(project),
            timeout=120,
            env={"SCHEMA_AUDIT_PROGRESS": progress},
        )

    shown = inspect("1")
    assert shown.returncode == 0
    assert "rendering Alembic revisions: 100% (30/30 revisions)" in shown.stderr
    assert shown.stdout.startswith("{")  # JSON on stdout stays clean
    quiet = inspect("0")
    assert quiet.returncode == 0 and quiet.stderr == ""


class _NoFullScan(dict):  # type: ignore[type-arg]
    """model.tables that refuses to be walked whole: renames and drops must use the reverse indexes."""

    def values(self):  # type: ignore[no-untyped-def]
        raise AssertionError("a full scan of every table")

    def items(self):  # type: ignore[no-untyped-def]
        raise AssertionError("a full scan of every table")


def test_renames_and_drops_do_not_scan_every_table() -> None:
    """A 180,000-table dump renamed columns 12,000 times; each rename walked every table (quadratic)."""
    interpreter = DdlInterpreter()
    interpreter.apply_sql(
        "CREATE TABLE parent (id int PRIMARY KEY, code int UNIQUE);"
        + "".join(
            f"CREATE TABLE t{i} (id int PRIMARY KEY, p int REFERENCES parent (id),"
            f" c int REFERENCES parent (code)); CREATE INDEX t{i}_p ON t{i} (p);"
            for i in range(50)
        )
    )
    interpreter.model.tables = _NoFullScan(interpreter.model.tables)
    interpreter.apply_sql(
        "ALTER TABLE parent RENAME COLUMN id TO parent_id;"
        "ALTER TABLE parent RENAME TO parents;"
        "ALTER TABLE parents DROP COLUMN code CASCADE;"  # its FKs depend on it: PG needs CASCADE
        "ALTER INDEX t3_p RENAME TO t3_parent;"
        "DROP INDEX t4_p;"
        "DROP TABLE t5;"
    )
    model = interpreter.model
    assert [u.reason for u in model.unapplied] == []
    fk = model.tables["public.t1"].foreign_keys["t1_p_fkey"]
    assert (fk.ref_table, fk.ref_columns) == ("parents", ["parent_id"])
    assert "t1_c_fkey" not in model.tables["public.t1"].foreign_keys  # dropped by the CASCADE
    assert "t3_parent" in model.tables["public.t3"].indexes
    assert "t4_p" not in model.tables["public.t4"].indexes
    assert "public.t5" not in model.tables
