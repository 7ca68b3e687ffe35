"""Names holding ``$``: quoted as PostgreSQL's quote_ident() quotes them.

``model.quote_ident`` left ``a$b`` bare where the server quotes it (``"a$b"``): a function's
identity arguments (``f$(a$ integer)`` against ``f$("a$" integer)``) and a result type
(``SETOF m$`` against ``SETOF "m$"``) differed between a history and the database built from
it, in ``diff`` and in the audit both ways. The live reader printed a partition's parent
unquoted (``public.Mixed``), so every partition of a parent needing quotes differed too.
Static == live, and init's spec read back. Real PostgreSQL.
"""

from __future__ import annotations

import json

import psycopg
from cli_runner import run_cli

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret

STATEMENTS = [
    "CREATE SCHEMA s$1",
    'CREATE TABLE "a$b" (id int PRIMARY KEY, "c$d" int, e$ text)',
    'CREATE TABLE s$1.t$ (x int REFERENCES "a$b" (id), y int CHECK (y > 0))',
    'CREATE INDEX ON "a$b" ("c$d")',
    'CREATE VIEW v$ AS SELECT "c$d" FROM "a$b"',
    "CREATE SEQUENCE q$1",
    "CREATE TYPE m$ AS ENUM ('a')",
    "CREATE FUNCTION f$(a$ int) RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "CREATE FUNCTION g$(x m$) RETURNS SETOF m$ LANGUAGE sql AS 'SELECT x'",
    "CREATE TABLE p$ (k int) PARTITION BY LIST (k)",
    "CREATE TABLE p$_1 PARTITION OF p$ FOR VALUES IN (1)",
    'CREATE TABLE "Mixed" (k int) PARTITION BY LIST (k)',
    'CREATE TABLE "Mixed_1" PARTITION OF "Mixed" FOR VALUES IN (1)',
    "CREATE TABLE uses$ (m m$, n int, \"q$x\" int DEFAULT nextval('q$1'))",
]


def test_dollar_names_are_quoted_as_postgresql_quotes_them(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("fid13_dollar")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for sql in STATEMENTS:
            conn.execute(sql)
    static = interpret(";\n".join(STATEMENTS) + ";\n")
    assert [u.reason for u in static.unapplied] == []
    assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []
    assert 'public."f$"("a$" integer)' in {f.signature for f in static.functions.values()}
    history = tmp_path / "history"
    history.mkdir()
    (history / "001.sql").write_text(";\n".join(STATEMENTS) + ";\n")
    spec = tmp_path / "spec.yaml"
    proc = run_cli("init", "--dsn", dsn, "-o", spec)
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("audit", "-s", spec, "--sql", history, "-f", "json")
    failed = [f["id"] for f in json.loads(proc.stdout)["findings"] if f["status"] == "FAIL"]
    assert failed == [], failed


def test_a_view_s_relation_written_bare_is_the_quoted_one(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A spec's ``depends_on: [a$b]`` (the stored name, as an earlier init wrote it) is the
    relation the model holds as ``"a$b"``; another name still FAILs."""
    history = tmp_path / "history"
    history.mkdir()
    (history / "001.sql").write_text(";\n".join(STATEMENTS[1:5]) + ";\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "spec_version: 1\nname: dollar\nviews:\n"
        "  v$:\n    depends_on: [a$b]\n"
        "  public.v$:\n    depends_on: [ab]\n"
    )
    proc = run_cli("audit", "-s", spec, "--sql", history, "-f", "json")
    findings = [(f["id"], f["status"]) for f in json.loads(proc.stdout)["findings"]]
    assert [s for i, s in findings if i.startswith("views.")] == ["PASS", "FAIL"], findings
