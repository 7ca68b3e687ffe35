"""Whitespace PostgreSQL keeps is part of the value in every comparison (fidelity11).

A string literal's spaces are stored as written (a policy's, a partition bound's, a
SQL-standard body's), and a function body is stored as written (prosrc). Collapsing runs of
whitespace before comparing made a changed value PASS (false PASS), and made `diff` say
"0 differences" for plpgsql bodies the audit FAILed (polarsource/polar, twelfth session).
Each change below is applied to a real PostgreSQL 15 after `init`, and the audit of init's
spec must FAIL it; `diff` of the catalog against the unchanged history must list it."""

from __future__ import annotations

import pytest
from init_mutations import assert_change_fails, init_database

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret

BASE = """
    CREATE TABLE account (id INTEGER PRIMARY KEY, kind TEXT, owner TEXT);
    ALTER TABLE account ENABLE ROW LEVEL SECURITY;
    CREATE POLICY account_kind ON account FOR SELECT USING (kind <> 'a b');
    CREATE TABLE ledger (id INTEGER, region TEXT) PARTITION BY LIST (region);
    CREATE TABLE ledger_eu PARTITION OF ledger FOR VALUES IN ('eu west');
    CREATE TABLE journal (id INTEGER, region TEXT) PARTITION BY LIST ((region || 'a b'));
    CREATE FUNCTION label() RETURNS TEXT LANGUAGE sql
      BEGIN ATOMIC SELECT 'a b'; END;
    CREATE FUNCTION touch() RETURNS TRIGGER LANGUAGE plpgsql AS $$
    BEGIN
      NEW.kind := 'a b';
      RETURN NEW;
    END $$;
    CREATE FUNCTION greeting() RETURNS TEXT LANGUAGE sql AS $$ SELECT 'hello' $$;
"""

MUTATIONS = {
    "policy literal": (
        "ALTER POLICY account_kind ON account USING (kind <> 'a  b')",
        "account_kind",
    ),
    "partition bound literal": (
        "ALTER TABLE ledger DETACH PARTITION ledger_eu;"
        " ALTER TABLE ledger ATTACH PARTITION ledger_eu FOR VALUES IN ('eu  west')",
        "ledger_eu",
    ),
    "partition key literal": (
        "DROP TABLE journal;"
        " CREATE TABLE journal (id INTEGER, region TEXT) PARTITION BY LIST ((region || 'a  b'))",
        "journal",
    ),
    "BEGIN ATOMIC literal": (
        "CREATE OR REPLACE FUNCTION label() RETURNS TEXT LANGUAGE sql"
        " BEGIN ATOMIC SELECT 'a  b'; END",
        "label",
    ),
}


@pytest.fixture(scope="module")
def spaced(pg_server, tmp_path_factory):  # type: ignore[no-untyped-def]
    yield from init_database(pg_server, tmp_path_factory, "fid11_ws", BASE)


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_literal_s_spaces_count_in_policies_bounds_and_standard_bodies(
    pg_server, spaced, mutation
) -> None:  # type: ignore[no-untyped-def]
    """A policy's `'a b'` made `'a  b'`, a partition bound's `'eu west'` made `'eu  west'`, a
    partition key's literal, a BEGIN ATOMIC body's literal changed in its spaces: PostgreSQL stores the other value, and
    the audit of init's spec FAILs it (each PASSed before: false PASS)."""
    template, _, spec = spaced
    sql, message = MUTATIONS[mutation]
    assert_change_fails(pg_server, template, "fid11_ws_c", sql, spec, message)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (
            "CREATE OR REPLACE FUNCTION touch() RETURNS TRIGGER LANGUAGE plpgsql AS $$\n"
            "    BEGIN\n      NEW.kind := 'a  b';\n      RETURN NEW;\n    END $$",
            "public.touch()",
        ),
        (
            "CREATE OR REPLACE FUNCTION touch() RETURNS TRIGGER LANGUAGE plpgsql AS $$\n"
            "    BEGIN\n      NEW.kind := 'a b';\n\n      RETURN   NEW;\n    END $$",
            "public.touch()",
        ),
        (
            "CREATE OR REPLACE FUNCTION greeting() RETURNS TEXT LANGUAGE sql AS"
            " $$ SELECT  'hello' $$",
            "public.greeting()",
        ),
        (
            "CREATE OR REPLACE FUNCTION label() RETURNS TEXT LANGUAGE sql"
            " BEGIN ATOMIC SELECT 'a  b'; END",
            "public.label()",
        ),
    ],
)
def test_diff_lists_a_body_changed_only_in_whitespace(make_db, change, key) -> None:  # type: ignore[no-untyped-def]
    """`diff` compared plpgsql bodies whitespace-collapsed and SQL bodies through the
    canonical deparser, so it said "0 differences" for bodies the audit FAILed byte for byte
    (prosrc keeps the body as written). Now a body differing in any character PostgreSQL
    keeps is a difference, the same judgement as the audit's."""
    static = interpret(BASE)
    catalog = live.introspect(make_db("fid11_wsd", BASE + ";\n" + change))
    listed = [str(d) for d in diff_models(catalog, static)]
    assert any(key in line and "body" in line for line in listed), listed


def test_diff_of_the_same_bodies_is_empty(make_db) -> None:  # type: ignore[no-untyped-def]
    """The same history in the catalog and read statically: no body differs."""
    static = interpret(BASE)
    catalog = live.introspect(make_db("fid11_wss", BASE))
    assert [str(d) for d in diff_models(catalog, static) if d.object.startswith("function")] == []
