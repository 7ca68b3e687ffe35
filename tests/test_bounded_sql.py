"""Hostile SQL input (issue 21), scaled down: each ends in a result or a clear error with
file:line, in bounded memory, never a crash of the interpreter. The full sizes (a 100 MB
statement, a 50 MB line, …) run in `make bench-limits` (benchmarks/limits.py)."""

from __future__ import annotations

import subprocess
import tracemalloc
from pathlib import Path

from cli_runner import run_cli

from schema_audit.sources.ddl import interpret

ROOT = Path(__file__).resolve().parent.parent
AFTER = "CREATE TABLE after_it (id int);\n"


def audit(tmp_path: Path, sql: str | bytes, **env: str) -> subprocess.CompletedProcess[str]:
    """``audit --sql`` in its own process: a crash there fails the test, not the test run."""
    path = tmp_path / "input.sql"
    if isinstance(sql, bytes):
        path.write_bytes(sql)
    else:
        path.write_text(sql)
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: hostile\ntables:\n  after_it: {}\nrules: {groups: []}\n")
    return run_cli(
        "audit",
        "-s",
        str(spec),
        "--sql",
        str(path),
        env={"SCHEMA_AUDIT_CACHE": "0", **env},
        timeout=300,
    )


def test_a_statement_over_the_limit_is_named_and_not_parsed(tmp_path: Path) -> None:
    rows = ",\n".join("(1234)" for _ in range(5_000))
    sql = f"CREATE TABLE t (id int);\nINSERT INTO t VALUES\n{rows};\n{AFTER}"
    proc = audit(tmp_path, sql, SCHEMA_AUDIT_MAX_STATEMENT_CHARS="10000")
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith("schema-audit: input.sql:2: ") and "not read" in line
    assert "SCHEMA_AUDIT_MAX_STATEMENT_CHARS" in line
    assert "PASS" in proc.stdout  # after_it, after the refused statement, was read
    assert audit(tmp_path, sql).returncode == 0  # under the default limit it is simply read


def test_a_long_line_without_newline_is_read_in_bounded_memory(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    comment = "x" * 2_000_000
    sql = f"CREATE TABLE t (id int); /* {comment} */ CREATE TABLE after_it (id int);"
    # the comment leads the second statement: it does not count towards its length
    monkeypatch.setenv("SCHEMA_AUDIT_MAX_STATEMENT_CHARS", "1000000")
    tracemalloc.start()
    model = interpret(sql)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert set(model.tables) == {"public.t", "public.after_it"}
    assert [p.line for p in model.tables["public.after_it"].provenance] == [1]
    assert peak < 6 * len(sql), peak  # copies of the text, never a structure per character


def test_a_file_of_nul_bytes_is_a_clear_error(tmp_path: Path) -> None:
    proc = audit(tmp_path, b"\0" * 200_000)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["schema-audit: input.sql: binary file, not SQL"]


def test_deep_nesting_is_an_error_on_its_line_and_the_rest_is_read() -> None:
    sql = f"CREATE TABLE t (id int);\nCREATE VIEW v AS SELECT {'(' * 100_000}1{')' * 100_000};\n{AFTER}"
    model = interpret(sql)
    assert set(model.tables) == {"public.t", "public.after_it"} and not model.views
    [error] = [u for u in model.unapplied if u.kind == "error"]
    assert error.line == 2 and "memory exhausted" in error.reason


def test_a_left_deep_expression_never_crashes_the_interpreter(tmp_path: Path) -> None:
    """50,000 chained terms: pglast's tree builder recursed in C until the process died
    (SIGSEGV); the depth-checked parse turns it into an error on its line."""
    sql = f"CREATE TABLE t (id int DEFAULT {' + '.join(['1'] * 50_000)});\n{AFTER}"
    proc = audit(tmp_path, sql)
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-500:])
    assert proc.stderr.splitlines() == [
        "schema-audit: input.sql:1: syntax error: stack depth limit exceeded"
    ]


def test_a_deep_condition_in_a_do_block_never_crashes_the_interpreter(tmp_path: Path) -> None:
    """The same chain as an IF condition inside a DO block: the PL/pgSQL reader parses the
    condition on its own (pgparse guards every parse, not only whole statements)."""
    condition = " + ".join(["1"] * 50_000)
    sql = (
        "CREATE TABLE t (id int);\n"
        f"DO $$ BEGIN IF {condition} > 0 THEN CREATE TABLE inner_t (id int); END IF; END $$;\n"
        f"{AFTER}"
    )
    (tmp_path / "input.sql").write_text(sql)
    proc = run_cli(
        "inspect",
        "--sql",
        str(tmp_path / "input.sql"),
        env={"SCHEMA_AUDIT_CACHE": "0"},
        timeout=300,
    )
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-500:])
    assert '"public.after_it"' in proc.stdout and "stack depth limit exceeded" in proc.stdout


def test_a_case_with_thousands_of_branches_is_read() -> None:
    branches = " ".join(f"WHEN id = {i} THEN {i}" for i in range(2_000))
    model = interpret(
        f"CREATE TABLE t (id int);\nCREATE VIEW v AS SELECT CASE {branches} END AS c FROM t;\n"
    )
    view = model.views["public.v"]
    # stored as PostgreSQL prints it: each column under its relation's name (t.id)
    assert "WHEN t.id = 1999 THEN 1999" in view.definition.replace("(", "").replace(")", "")
