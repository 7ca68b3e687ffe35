"""Domains read from a history as PostgreSQL holds them after it (static == live).

Before, the static reader did not model domains: a static audit left every ``domains:``
entry and ``strict.domains`` DEFERRED, a column typed with an unqualified domain of another
schema (PostgREST's ``devil_int`` under ``SET search_path = test``) printed bare where the
catalog prints ``test.devil_int``, and a CHECK over a column of a domain was read as written
where the catalog casts the column to the domain's base type. Each script is applied to a
real database; the static reading must equal the catalog's (``diff_models``).
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from schema_audit.api import audit_model
from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret
from schema_audit.spec.bootstrap import spec_from_model
from schema_audit.spec.load import load_spec


def _apart(make_db, script: str) -> list[str]:  # type: ignore[no-untyped-def]
    """What the static reading holds otherwise than the catalog (nothing left unapplied)."""
    dsn = make_db("dom", script)
    static = interpret(script)
    assert [u.sql for u in static.unapplied] == []
    return [str(d) for d in diff_models(live.introspect(dsn), static)]


EVERY_STATEMENT = """
CREATE EXTENSION citext;
CREATE DOMAIN posint AS int CHECK (VALUE > 0) CHECK (VALUE < 100) NOT NULL DEFAULT 1;
CREATE DOMAIN email AS citext CHECK (VALUE ~ '^[^@]+@[^@]+$');
CREATE DOMAIN nonempty AS citext CONSTRAINT ok CHECK (length(VALUE) > 3) CHECK (VALUE <> '');
CREATE DOMAIN amount AS numeric(10,2) CHECK (VALUE BETWEEN 1 AND 2.5) DEFAULT 0;
CREATE DOMAIN half AS int CHECK (VALUE > 0.5);
CREATE DOMAIN counter AS int;
ALTER DOMAIN counter ADD CHECK (VALUE > 0);
ALTER DOMAIN counter ADD CHECK (VALUE > 1) NOT VALID;
ALTER DOMAIN counter ADD CONSTRAINT later CHECK (VALUE > 2) NOT VALID;
ALTER DOMAIN counter VALIDATE CONSTRAINT later;
ALTER DOMAIN counter SET DEFAULT 5;
ALTER DOMAIN counter SET NOT NULL;
CREATE DOMAIN c_text AS text COLLATE "C" DEFAULT 'x';
CREATE DOMAIN labels AS varchar(10)[];
CREATE DOMAIN at AS timestamptz DEFAULT now();
CREATE DOMAIN choice AS text CHECK (VALUE IN ('a', 'b'));
CREATE DOMAIN gone AS text;
DROP DOMAIN gone;
CREATE DOMAIN renamed_me AS text CONSTRAINT c1 CHECK (VALUE <> '');
ALTER DOMAIN renamed_me RENAME TO renamed;
ALTER DOMAIN renamed RENAME CONSTRAINT c1 TO c2;
CREATE SCHEMA other;
ALTER DOMAIN renamed SET SCHEMA other;
COMMENT ON DOMAIN other.renamed IS 'moved';
ALTER DOMAIN posint DROP CONSTRAINT posint_check;
ALTER DOMAIN posint DROP CONSTRAINT IF EXISTS nope;
ALTER DOMAIN posint DROP DEFAULT;
ALTER DOMAIN posint DROP NOT NULL;
CREATE DOMAIN over AS posint CHECK (VALUE < 10);
CREATE TABLE t (a counter, b email, c other.renamed, d nonempty[], e over);
CREATE DOMAIN dropped_with AS int;
CREATE TABLE dw (a int, b dropped_with);
DROP DOMAIN dropped_with CASCADE;
CREATE DOMAIN dropped_as_type AS int;
CREATE TABLE dt (a int, b dropped_as_type);
DROP TYPE dropped_as_type CASCADE;
"""


def test_every_domain_statement_reads_as_the_catalog_holds_it(make_db) -> None:  # type: ignore[no-untyped-def]
    """CREATE / ALTER (ADD, DROP, VALIDATE CONSTRAINT, SET / DROP DEFAULT and NOT NULL,
    RENAME, RENAME CONSTRAINT, SET SCHEMA) / COMMENT ON / DROP DOMAIN (and DROP TYPE of a
    domain, CASCADE taking its columns): unnamed CHECKs named ``posint_check``,
    ``posint_check1``; a CHECK over citext with citext's operators; an integer VALUE meeting
    a numeric promoted; VALUE of a domain over a domain cast to the last base type."""
    assert _apart(make_db, EVERY_STATEMENT) == []
    static = interpret(EVERY_STATEMENT)
    assert sorted(static.domains["public.counter"].checks) == [
        "counter_check",
        "counter_check1",
        "later",
    ]
    assert list(static.tables["public.dw"].columns) == ["a"]


def test_an_unqualified_domain_on_a_non_public_search_path_is_its_schemas(make_db) -> None:  # type: ignore[no-untyped-def]
    """PostgREST's fixtures make ``devil_int`` under ``SET search_path = test`` and type a
    column with it unqualified: the catalog prints ``test.devil_int`` (the static type was
    ``devil_int``: a false FAIL); ALTER DOMAIN with the bare name finds it on the path."""
    script = """
        CREATE SCHEMA test;
        SET search_path = test, public;
        CREATE DOMAIN devil_int AS int DEFAULT 666;
        ALTER DOMAIN devil_int ADD CONSTRAINT small CHECK (VALUE < 1000);
        CREATE TABLE evil_friends (id devil_int PRIMARY KEY, many devil_int[]);
        SET search_path = public;
        CREATE TABLE elsewhere (x test.devil_int);
    """
    dsn = make_db("dom", script)
    static = interpret(script)
    assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []
    assert static.tables["test.evil_friends"].columns["many"].type == "test.devil_int[]"
    # a constraint to validate cannot be checked in an array column of the domain: refused
    refused = "ALTER DOMAIN test.devil_int ADD CONSTRAINT big CHECK (VALUE > 0)"
    with psycopg.connect(dsn, autocommit=True) as conn, pytest.raises(psycopg.Error):
        conn.execute(refused)
    static = interpret(script + refused + ";")
    assert [u.kind for u in static.unapplied] == ["error"]
    assert list(static.domains["test.devil_int"].checks) == ["small"]


def test_a_column_of_a_domain_meeting_an_operator_is_cast_to_its_base_type(make_db) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL coerces a domain's value to its base type where an operator takes it, and
    prints it: ``CHECK (a > 2)`` over ``a posint`` is stored ``((a)::integer > 2)``, ``b ~ 'x'``
    over a domain over citext ``((b)::public.citext OPERATOR(public.~) …)``; in CHECKs,
    index expressions and predicates, generated columns and policies. Not where no operator
    takes it (``a IS NOT NULL``, ``NOT flag``)."""
    script = """
        CREATE EXTENSION citext;
        CREATE DOMAIN posint AS int CHECK (VALUE > 0);
        CREATE DOMAIN big AS bigint;
        CREATE DOMAIN email AS citext;
        CREATE DOMAIN short AS varchar(20);
        CREATE DOMAIN price AS numeric(10,2);
        CREATE DOMAIN ids AS int[];
        CREATE DOMAIN doc AS jsonb;
        CREATE DOMAIN code AS char(3);
        CREATE DOMAIN flag AS boolean;
        CREATE DOMAIN moment AS timestamptz;
        CREATE TABLE t (a posint, b email, c big, d short, e price, f ids, g doc, h code, i int,
            a2 posint, yes flag, at moment,
            CHECK (a IN (1, 2)), CHECK (a BETWEEN 1 AND 5), CHECK (b LIKE 'x%'), CHECK (c > 2.5),
            CHECK (d = 'x'), CHECK (e > 1), CHECK (f @> ARRAY[1]), CHECK (g ? 'k'),
            CHECK (h = 'abc'), CHECK (a = i), CHECK (-a < 0), CHECK (a IS NOT NULL),
            CHECK (lower(b) <> ''), CHECK (a + c > 0), CHECK (yes AND true), CHECK (at > now()),
            CHECK (yes = true), CHECK (a = a2), CHECK (a::text <> ''), CHECK (NOT yes),
            CHECK (a BETWEEN 1 AND 2.5));
        CREATE INDEX ON t ((a + 1)) WHERE c > 0;
        CREATE POLICY p ON t USING (a > 1);
        CREATE TABLE g (a posint, b int GENERATED ALWAYS AS (a * 2) STORED);
    """
    assert _apart(make_db, script) == []


def test_a_static_audit_judges_domains_instead_of_deferring_them(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The spec ``init --dsn`` writes (domains: with CHECKs by name, strict.domains) PASSes
    against the history's reading; a CHECK the history drops later FAILs there too (it was
    DEFERRED), and so does a domain the spec does not require (strict.domains)."""
    script = """
        CREATE EXTENSION citext;
        CREATE DOMAIN email AS citext CHECK (VALUE ~ '^[^@]+@[^@]+$');
        CREATE DOMAIN posint AS int NOT NULL CHECK (VALUE > 0);
        CREATE TABLE users (id posint PRIMARY KEY, email email CHECK (email <> ''));
    """
    dsn = make_db("dom", script)
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_from_model(live.introspect(dsn), name="domains", source="live"))

    def statuses(sql: str) -> dict[str, str]:
        result = audit_model(load_spec(spec), interpret(sql), "sql", rules="none")
        return {f.id: f.status for f in result.findings if "domain" in f.id}

    assert set(statuses(script).values()) == {"PASS"}
    later = statuses(
        script + "ALTER DOMAIN email DROP CONSTRAINT email_check; CREATE DOMAIN extra AS int;"
    )
    assert later["domains.email"] == "FAIL"
    assert later["strict.domains"] == "FAIL"
    with psycopg.connect(dsn, autocommit=True) as conn:  # the same on the catalog
        conn.execute("ALTER DOMAIN email DROP CONSTRAINT email_check")
    result = audit_model(load_spec(spec), live.introspect(dsn), "live", rules="none")
    assert {f.id: f.status for f in result.findings}["domains.email"] == "FAIL"


def test_a_do_block_asking_pg_type_finds_a_domain_the_history_made(make_db) -> None:  # type: ignore[no-untyped-def]
    """The idempotent pattern `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_type WHERE
    typname = 'email') THEN CREATE DOMAIN email …` run twice, and `IF EXISTS (…) THEN ALTER
    DOMAIN …`: the DO-block reader answers pg_type from the model, which now holds domains,
    so a domain the history made must be found there (it was not: the first block's domain
    made again, the ALTER skipped); pg_constraint holds a domain's CHECKs too."""
    block = """
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'email') THEN
            CREATE DOMAIN email AS text CHECK (VALUE ~ '@');
          END IF;
        END $$;
    """
    script = (
        block
        + block
        + """
        DO $$ BEGIN
          IF EXISTS (SELECT 1 FROM pg_type t WHERE t.typname = 'email' AND t.typtype = 'd') THEN
            ALTER DOMAIN email ADD CONSTRAINT short CHECK (length(VALUE) < 100);
          END IF;
        END $$;
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'short') THEN
            ALTER DOMAIN email ADD CONSTRAINT short CHECK (length(VALUE) < 100);
          END IF;
        END $$;
        """
    )
    assert _apart(make_db, script) == []
    assert sorted(interpret(script).domains["public.email"].checks) == ["email_check", "short"]


def test_a_domain_s_grants_read_as_the_catalog_holds_them(make_db) -> None:  # type: ignore[no-untyped-def]
    """A new domain gives PUBLIC USAGE (ALTER DEFAULT PRIVILEGES … ON TYPES applies to it);
    GRANT / REVOKE … ON DOMAIN and ON TYPE change it. Before, the static domain held no
    grants, so init --dsn's ``grants:`` (typacl) FAILed every static audit of a domain."""
    script = """
    CREATE ROLE dom_reader;
    CREATE DOMAIN plain AS int;
    CREATE DOMAIN closed AS int;
    REVOKE USAGE ON DOMAIN closed FROM PUBLIC;
    GRANT USAGE ON DOMAIN closed TO dom_reader WITH GRANT OPTION;
    CREATE DOMAIN by_type AS text;
    REVOKE ALL ON TYPE by_type FROM PUBLIC;
    ALTER DEFAULT PRIVILEGES REVOKE USAGE ON TYPES FROM PUBLIC;
    CREATE DOMAIN after_defaults AS int;
    """
    dsn = make_db("domgrants", script)
    static = interpret(script)
    catalog = live.introspect(dsn)

    def held(model):  # type: ignore[no-untyped-def]
        return {
            key: sorted(
                (g.grantee, g.privilege, g.grantable) for g in d.grants if g.grantee != d.owner
            )
            for key, d in model.domains.items()
        }

    assert held(static) == held(catalog)
    assert held(static)["public.closed"] == [("dom_reader", "USAGE", True)]
    assert held(static)["public.plain"] == [("public", "USAGE", False)]
