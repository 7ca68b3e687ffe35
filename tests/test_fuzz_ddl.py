"""Fuzz the DDL interpreter against the real server.

Hypothesis draws sequences of statements from a grammar of the DDL the
interpreter supports. Each statement runs on PostgreSQL first; the ones the
server accepts are applied statically too, and the two models must be equal
property by property (the same comparison `schema-audit diff` uses).
"""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import DdlInterpreter

TABLES = ["t1", "t2", "t3"]
COLUMNS = ["a", "b", "c", "d"]
TYPES = [
    "integer",
    "bigint",
    "text",
    "varchar(20)",
    "numeric(8,2)",
    "boolean",
    "timestamptz",
    "uuid",
]
# Every sequence starts from three tables, so most drawn ALTERs have something to act on.
PRELUDE = [
    f"CREATE TABLE {t} (id integer PRIMARY KEY, a integer, b text, c varchar(20), d boolean)"
    for t in TABLES
]


@st.composite
def statement(draw) -> str:  # type: ignore[no-untyped-def]
    t = draw(st.sampled_from(TABLES))
    c, c2 = draw(st.sampled_from(COLUMNS)), draw(st.sampled_from(COLUMNS))
    ty = draw(st.sampled_from(TYPES))
    n = draw(st.integers(0, 3))
    choices = [
        f"CREATE TABLE {t} (id integer PRIMARY KEY, {c} {ty})",
        f"CREATE TABLE {t} ({c} {ty} NOT NULL, {c2 if c2 != c else c + 'x'} integer UNIQUE)",
        f"ALTER TABLE {t} ADD COLUMN {c} {ty}",
        f"ALTER TABLE {t} ADD COLUMN {c} integer NOT NULL DEFAULT {n}",
        f"ALTER TABLE {t} DROP COLUMN {c}",
        f"ALTER TABLE {t} RENAME COLUMN {c} TO {c2}",
        f"ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL",
        f"ALTER TABLE {t} ALTER COLUMN {c} DROP NOT NULL",
        f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {n}",
        f"ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT",
        f"ALTER TABLE {t} ALTER COLUMN {c} TYPE {ty} USING NULL",
        f"ALTER TABLE {t} ADD CHECK ({c} IS NOT NULL)",
        f"ALTER TABLE {t} ADD CONSTRAINT {t}_ck{n} CHECK ({c} >= {n})",
        f"ALTER TABLE {t} ADD UNIQUE ({c})",
        f"ALTER TABLE {t} DROP CONSTRAINT {t}_ck{n}",
        f"CREATE INDEX ON {t} ({c})",
        f"CREATE INDEX {t}_ix{n} ON {t} ({c} DESC, {c2}) WHERE {c} IS NOT NULL",
        f"CREATE UNIQUE INDEX {t}_ux{n} ON {t} ({c}) INCLUDE ({c2})",
        f"DROP INDEX {t}_ix{n}",
        f"ALTER INDEX {t}_ix{n} RENAME TO {t}_ix{n + 1}",
        f"ALTER TABLE {t} ADD FOREIGN KEY ({c}) REFERENCES {draw(st.sampled_from(TABLES))} (id) ON DELETE "
        + draw(st.sampled_from(["CASCADE", "SET NULL", "RESTRICT"])),
        f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY p{n} ON {t} USING ({c} IS NOT NULL) WITH CHECK (true)",
        f"CREATE POLICY p{n} ON {t} AS RESTRICTIVE FOR SELECT USING ({c} = {c2})",
        f"DROP POLICY p{n} ON {t}",
        f"ALTER TABLE {t} RENAME TO {draw(st.sampled_from(TABLES))}",
        f"DROP TABLE {t} CASCADE",
        f"COMMENT ON COLUMN {t}.{c} IS 'note {n}'",
        # privileges: what effective-privilege checks read
        f"GRANT {draw(st.sampled_from(['SELECT', 'UPDATE', 'DELETE', 'ALL']))} ON {t} TO fuzz_w",
        f"REVOKE {draw(st.sampled_from(['UPDATE', 'DELETE', 'ALL']))} ON {t} FROM fuzz_w",
        f"GRANT UPDATE ({c}) ON {t} TO fuzz_r",
        f"REVOKE UPDATE ({c}) ON {t} FROM fuzz_r",
        "GRANT USAGE ON SCHEMA public TO fuzz_r",
        "REVOKE USAGE ON SCHEMA public FROM PUBLIC",
        "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO fuzz_r",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT UPDATE ON TABLES TO fuzz_w",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE UPDATE ON TABLES FROM fuzz_w",
        "ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC",
        "ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC",
        f"CREATE FUNCTION f{n}() RETURNS integer LANGUAGE sql AS 'SELECT {n}'",
        f"GRANT EXECUTE ON FUNCTION f{n}() TO fuzz_r",
        f"REVOKE EXECUTE ON FUNCTION f{n}() FROM PUBLIC",
        f"DROP TABLE IF EXISTS {t} CASCADE; CREATE TABLE {t} (id integer PRIMARY KEY, {c} {ty})",
        f"CREATE SEQUENCE s{n}",
        f"GRANT USAGE ON SEQUENCE s{n} TO fuzz_w",
        "GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO fuzz_r",
    ]
    return draw(st.sampled_from(choices))


@pytest.fixture(scope="module")
def fuzz_dsn(pg_server):  # type: ignore[no-untyped-def]
    name, dsn = pg_server.create_database("fuzzddl")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for role in ("fuzz_r", "fuzz_w"):  # roles are cluster-wide: created once, kept
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                conn.execute(f"CREATE ROLE {role}")
    yield dsn
    pg_server.drop_database(name)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(statement(), min_size=3, max_size=14))
def test_static_model_equals_the_server_for_random_ddl(
    fuzz_dsn: str, statements: list[str]
) -> None:
    interpreter = DdlInterpreter()
    accepted: list[str] = []
    statements = PRELUDE + statements
    with psycopg.connect(fuzz_dsn, autocommit=True) as conn:
        # database-wide default privileges outlive the schema: back to the built-in ones
        conn.execute("ALTER DEFAULT PRIVILEGES REVOKE ALL ON TABLES FROM fuzz_r, fuzz_w")
        conn.execute("ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC")
        for reset in ("DROP SCHEMA public CASCADE", "CREATE SCHEMA public"):
            conn.execute(reset)
            interpreter.apply_sql(reset)  # a new public schema has no PUBLIC USAGE: both know
        for sql in statements:
            try:
                conn.execute(sql)
            except psycopg.Error:
                continue  # the server refused it: the interpreter is not asked to model it
            accepted.append(sql)
            interpreter.apply_sql(sql, file="fuzz.sql")
    unapplied = [u for u in interpreter.model.unapplied if u.kind != "data"]
    assert unapplied == [], (
        f"statements the server accepted but the interpreter did not apply: {unapplied}"
    )
    differences = [str(d) for d in diff_models(live.introspect(fuzz_dsn), interpreter.model)]
    assert differences == [], (
        "after:\n" + ";\n".join(accepted) + "\n\ndifferences:\n" + "\n".join(differences)
    )
