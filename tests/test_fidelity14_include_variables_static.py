"""Statically, a statement using a psql variable an included file sets is not a syntax error.

``\\i vars.sql`` (``\\set schema_name app``) then ``CREATE SCHEMA :schema_name``: psql runs it
with the value. The static reading cuts each file once, with the variables the file set
itself, so the statement was reported as a syntax error PostgreSQL would refuse ("syntax
error at or near ':'", exit 2: a misleading refusal; s15's note). A statement that parses
with a value in each unknown variable's place is now named as not read statically (which
variables, where they may come from), and what it may change is DEFERRED (a variable may
name any object); a real syntax error stays one. Real PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path

from cli_runner import run_cli
from history_paths import psql_f, write_history

FILES = {
    "001_init.sql": (
        "CREATE TABLE before_all (id int);\n"
        "\\ir vars.sql\n"
        "CREATE SCHEMA :schema_name;\n"
        "CREATE TABLE :schema_name.:tbl (id int);\n"
    ),
    "vars.sql": "\\set schema_name app\n\\set tbl items\n",
}
SPEC = """\
spec_version: 1
name: include variables
tables:
  before_all:
    columns:
      id: {type: integer}
  app.items:
    columns:
      id: {type: integer}
"""


def test_a_statement_on_an_included_files_variable_is_deferred_not_refused(
    make_db, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    history = write_history(tmp_path, FILES)
    dsn = make_db("fid14_incvars")
    psql_f(dsn, history, "001_init.sql")
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    live = run_cli("audit", "-s", spec, "--dsn", dsn, "-f", "json")
    assert {f["id"]: f["status"] for f in json.loads(live.stdout)["findings"]}[
        "tables.app.items"
    ] == "PASS"
    proc = run_cli("audit", "-s", spec, "--sql", history / "001_init.sql", "-f", "json")
    assert proc.returncode != 2, proc.stderr
    found = {f["id"]: f for f in json.loads(proc.stdout)["findings"]}
    assert found["tables.app.items"]["status"] == "DEFERRED", found["tables.app.items"]
    assert ":schema_name, :tbl" in json.dumps(found["tables.app.items"])
    # what follows it may change anything (a variable may name any object): DEFERRED too
    assert found["tables.before_all"]["status"] == "DEFERRED"


def test_a_real_syntax_error_with_a_colon_stays_one(tmp_path: Path) -> None:
    (tmp_path / "h.sql").write_text("CREATE TABLE t (id int);\nCREATE TABLE :x (id int int);\n")
    proc = run_cli("inspect", "--sql", tmp_path / "h.sql")
    assert proc.returncode == 2
    assert "syntax error" in proc.stderr
