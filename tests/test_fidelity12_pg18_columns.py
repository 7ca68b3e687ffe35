"""Column definitions PostgreSQL 15 refuses, read statically (pagila's dump, left by trial12).

pglast parses with PostgreSQL 18's grammar: `GENERATED ALWAYS AS (…) VIRTUAL` (or with
neither STORED nor VIRTUAL) was read as a stored generated column, and `DEFAULT uuidv7()`
kept, while PostgreSQL 15 refuses both statements ("syntax error at or near "VIRTUAL"",
"function uuidv7() does not exist"): a spec requiring such a table PASSed a history no
PostgreSQL 15 database can be built from. Each statement is now refused as PostgreSQL refuses
it (not applied, the reason said, what it touches DEFERRED). The catalog after running the
same statements one by one (each refused one failing alone) is the reference. Real PostgreSQL.
"""

from __future__ import annotations

import json

import pytest
from cli_runner import run_cli
from statement_runs import run_each

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret

STATEMENTS = [
    "CREATE TABLE kept (a int, b int GENERATED ALWAYS AS (a * 2) STORED)",
    "CREATE TABLE virt (a int, b int GENERATED ALWAYS AS (a * 2) VIRTUAL)",
    "CREATE TABLE plain_gen (a int, b int GENERATED ALWAYS AS (a * 2))",
    "CREATE TABLE uuid7 (id uuid DEFAULT uuidv7(), n int)",
    "CREATE TABLE later (a int)",
    "ALTER TABLE later ADD COLUMN b int GENERATED ALWAYS AS (a + 1) VIRTUAL",
    "ALTER TABLE later ADD COLUMN c int, ADD COLUMN d uuid DEFAULT uuidv7()",
    "CREATE FUNCTION next_code() RETURNS int LANGUAGE sql AS 'SELECT 7'",
    "CREATE TABLE coded (code int DEFAULT next_code(), e int DEFAULT COALESCE(NULL, 1))",
    "ALTER TABLE coded ALTER COLUMN e SET DEFAULT uuid_nil_of_mine()",
]


def _catalog(make_db) -> tuple:  # type: ignore[no-untyped-def]
    """The database after each statement alone (autocommit: a refused one changes nothing),
    and PostgreSQL's error of each refused one."""
    dsn, errors = run_each(make_db, "fid12_pg18", STATEMENTS)
    return live.introspect(dsn), errors


@pytest.mark.parametrize("number", [1, 2, 3, 5, 6, 9])
def test_each_refused_alone(number: int) -> None:
    """Each refused statement after the table it needs, nothing else refused before it (the
    reader's fast path, taken while no earlier statement is open, refuses it too)."""
    before = "CREATE TABLE later (a int);\nCREATE TABLE coded (code int, e int);\n"
    static = interpret(before + STATEMENTS[number] + ";\n")
    assert [u.line for u in static.unapplied if u.kind == "error"] == [3], static.unapplied


def test_static_refuses_what_postgresql_refuses(make_db) -> None:  # type: ignore[no-untyped-def]
    catalog, errors = _catalog(make_db)
    assert sorted(errors) == [1, 2, 3, 5, 6, 9], errors  # PostgreSQL 15 (this cluster's)
    assert errors[1] == 'syntax error at or near "VIRTUAL"'
    assert errors[3] == "function uuidv7() does not exist"
    static = interpret(";\n".join(STATEMENTS) + ";\n")
    assert [str(d) for d in diff_models(catalog, static)] == []
    refused = {u.line: u.reason for u in static.unapplied if u.kind == "error"}
    assert sorted(refused) == [n + 1 for n in sorted(errors)], refused
    assert 'syntax error at or near "VIRTUAL"' in refused[2]
    assert refused[4] == "function uuidv7() does not exist"
    assert refused[10] == "function uuid_nil_of_mine() does not exist"


@pytest.mark.parametrize(
    "history",
    [
        # an extension may bring it (not modelled)
        'CREATE EXTENSION IF NOT EXISTS "uuid-ossp";\nCREATE TABLE t (id uuid DEFAULT uuidv7());\n',
        # a schema the history does not make may hold it
        "SET search_path = platform, public;\nCREATE TABLE t (id uuid DEFAULT uuidv7());\n",
        # statements the reading does not have may have made it (psql's \gexec)
        "SELECT 'CREATE FUNCTION uuidv7() RETURNS uuid LANGUAGE sql AS ''SELECT 1''' \\gexec\n"
        "CREATE TABLE t (id uuid DEFAULT uuidv7());\n",
        # a statement the reading could not apply names it (it may have made it)
        "ALTER FUNCTION uuidv7() SET SCHEMA public;\nCREATE TABLE t (id uuid DEFAULT uuidv7());\n",
    ],
)
def test_a_function_the_reading_cannot_rule_out_is_not_refused(history: str) -> None:
    static = interpret(history)
    assert [u.reason for u in static.unapplied if u.kind == "error"] == []
    # made, or (platform first: made there or in public, creation_path) DEFERRED, not refused
    deferred = [u.line for u in static.unapplied if "first schema platform" in u.reason]
    assert any(t.name == "t" for t in static.tables.values()) or deferred == [2]


def test_a_refused_column_is_deferred_not_passed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A spec requiring the table: DEFERRED with the reason (it PASSed), and the command
    goes on (not exit 2: PostgreSQL 18 accepts the statements; not a syntax error of the file)."""
    history = tmp_path / "history"
    history.mkdir()
    (history / "001.sql").write_text(";\n".join(STATEMENTS[:4]) + ";\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "spec_version: 1\nname: pg18\ntables:\n"
        "  virt:\n    columns:\n      b: {type: integer}\n"
        "  uuid7:\n    columns:\n      id: {type: uuid}\n"
    )
    proc = run_cli("audit", "-s", spec, "--sql", history, "-f", "json")
    assert proc.returncode != 2, proc.stdout + proc.stderr
    findings = {f["id"]: f["status"] for f in json.loads(proc.stdout)["findings"]}
    assert findings["tables.virt"] == findings["tables.uuid7"] == "DEFERRED", findings
