"""Names holding ``$``: quoted as PostgreSQL's quote_ident() quotes them.

``model.quote_ident`` left ``a$b`` bare where the server quotes it (``"a$b"``): a function's
identity arguments (``f$(a$ integer)`` against ``f$("a$" integer)``) and a result type
(``SETOF m$`` against ``SETOF "m$"``) differed between a history and the database built from
it, in ``diff`` and in the audit both ways. The live reader printed a partition's parent
unquoted (``public.Mixed``), so every partition of a parent needing quotes differed too.
Static == live, and init's spec read back. Real PostgreSQL.
"""

from __future__ import annotations

from statement_runs import (
    audit_failures,
    audit_statuses,
    differences,
    init_spec,
    one_file_history,
    run_each,
)

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
    dsn, errors = run_each(make_db, "fid13_dollar", STATEMENTS)
    assert errors == {}
    static = interpret(";\n".join(STATEMENTS) + ";\n")
    assert [u.reason for u in static.unapplied] == []
    assert differences(dsn, STATEMENTS) == []
    assert 'public."f$"("a$" integer)' in {f.signature for f in static.functions.values()}
    failed = audit_failures(init_spec(dsn, tmp_path), one_file_history(tmp_path, STATEMENTS))
    assert failed == [], failed


def test_a_view_s_relation_written_bare_is_the_quoted_one(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A spec's ``depends_on: [a$b]`` (the stored name, as an earlier init wrote it) is the
    relation the model holds as ``"a$b"``; another name still FAILs."""
    history = one_file_history(tmp_path, STATEMENTS[1:5])
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "spec_version: 1\nname: dollar\nviews:\n"
        "  v$:\n    depends_on: [a$b]\n"
        "  public.v$:\n    depends_on: [ab]\n"
    )
    findings = audit_statuses(spec, history)
    assert [s for i, s in findings.items() if i.startswith("views.")] == ["PASS", "FAIL"], findings
