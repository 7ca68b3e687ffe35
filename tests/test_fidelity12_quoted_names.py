"""Quoted names in a function's `RETURNS TABLE(…)` / `SETOF` and a composite type's attributes.

A quoted name is case- and space-exact: `"Id"` and `"ID"` are two result columns (a caller's
`SELECT "Id" FROM f()` fails on the other), and `"a  b"` is not `"a b"`. The function kind and
`diff` compared `RETURNS TABLE(…)` / `SETOF …` lower-cased with whitespace collapsed, and a
composite type's attributes whitespace-collapsed, so each such rename PASSed init's spec and
`diff` said nothing (left by fidelity11; confirmed on PostgreSQL 15). Unquoted names still fold
(`TABLE(Id INTEGER)` is `TABLE(id integer)`) and whitespace between tokens does not count.
Real PostgreSQL.
"""

from __future__ import annotations

import pytest
from init_mutations import assert_change_fails, module_specs

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret
from schema_audit.sqlspace import folded

BASE = """
CREATE TYPE "Pair" AS (a int);
CREATE TYPE "PAIR" AS (a int);
CREATE TYPE spaced AS ("a  b" int, c text);
CREATE FUNCTION results() RETURNS TABLE("Id" int, name text) LANGUAGE sql AS $$ SELECT 1, 'x' $$;
CREATE FUNCTION pairs() RETURNS SETOF "Pair" LANGUAGE sql AS $$ SELECT 1 $$;
"""

CHANGES = {
    "result column renamed by case": (
        'DROP FUNCTION results(); CREATE FUNCTION results() RETURNS TABLE("ID" int, name text) '
        "LANGUAGE sql AS $$ SELECT 1, 'x' $$",
        'returns is TABLE("ID" integer, name text)',
    ),
    "setof another type": (
        'DROP FUNCTION pairs(); CREATE FUNCTION pairs() RETURNS SETOF "PAIR" LANGUAGE sql AS $$ SELECT 1 $$',
        'returns is SETOF "PAIR"',
    ),
    "attribute renamed by its spaces": (
        'ALTER TYPE spaced RENAME ATTRIBUTE "a  b" TO "a b"',
        '"a b" integer',
    ),
}


initialised, static_spec = module_specs("fid12q", BASE)


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_quoted_name_changed_fails(initialised, pg_server, change: str) -> None:  # type: ignore[no-untyped-def]
    """init --dsn's spec FAILs each change (it PASSed)."""
    sql, message = CHANGES[change]
    assert_change_fails(pg_server, initialised[0], "fid12qm", sql, initialised[2], message)


def test_diff_sees_a_result_column_renamed_by_case(make_db) -> None:  # type: ignore[no-untyped-def]
    """`diff` of the catalog against a history whose function returns `"ID"`: one difference
    (it said none); the same history as the catalog's: none."""
    catalog = live.introspect(make_db("fid12qd", BASE))
    same = interpret(BASE)
    assert [str(d) for d in diff_models(catalog, same) if "results" in str(d)] == []
    renamed = interpret(BASE.replace('TABLE("Id"', 'TABLE("ID"'))
    assert [str(d) for d in diff_models(catalog, renamed) if "results" in str(d)] != []


def test_unquoted_names_still_fold() -> None:
    assert folded('TABLE(Id INTEGER,  "Name"  TEXT)') == 'table(id integer, "Name" text)'
    assert folded('SETOF "My  Type"') == 'setof "My  Type"'
