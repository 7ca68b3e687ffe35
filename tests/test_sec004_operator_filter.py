"""SEC004 (policy-allows-everything) tells most predicates apart without parsing them.

A predicate with an operator outside its string literals is no lone constant, so it cannot
be ``true``: the rule skips the parser for it (a live audit with init's spec then never loads
pglast). Every other spelling of ``true`` must still be caught: each one below is a policy
PostgreSQL accepts and evaluates as ``true``, read live and statically.
"""

from __future__ import annotations

import psycopg
import pytest

from schema_audit.audit.rules import run_rules
from schema_audit.rules.sec004_policy_allows_everything import _has_operator
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret
from schema_audit.sqlnorm import canonical_expr

# spellings of true: casts of string literals (plain, escaped, dollar-quoted, through text),
# qualified and quoted type names, CAST(... AS ...), parentheses
TRUE_SPELLINGS = [
    "true",
    "(true)",
    "TRUE::boolean",
    "'t'::boolean",
    "'yes'::text::boolean",
    "' on '::pg_catalog.bool",
    "E'\\x31'::boolean",
    "$$y$$::bool",
    "CAST('1' AS boolean)",
    "'true'::\"bool\"",
    "'t' /* a comment = 1 */::boolean",
]
# operators outside the literals (some literals hold operator characters or quotes)
NOT_TRUE = [
    "(tenant_id = public.tenant())",
    "((state)::text = ANY (ARRAY['new'::text, 'done'::text]))",
    "(owner <> 'a=b''c')",
    "(x ~~ 'a%'::text)",
    "(NOT (flag = true))",
    "(true AND (id > 0))",
]


@pytest.mark.parametrize("text", NOT_TRUE)
def test_an_operator_means_not_true_and_the_parser_agrees(text: str) -> None:
    assert _has_operator(text)
    assert canonical_expr(text) not in ("TRUE", "true")


@pytest.mark.parametrize("text", TRUE_SPELLINGS)
def test_every_spelling_of_true_goes_to_the_parser(text: str) -> None:
    assert not _has_operator(text)
    assert canonical_expr(text) in ("TRUE", "true")


def test_every_spelling_of_true_fires_live_and_static(make_db) -> None:  # type: ignore[no-untyped-def]
    sql = [
        "CREATE FUNCTION tenant() RETURNS uuid LANGUAGE sql AS 'SELECT NULL::uuid';",
        "CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid, state text, owner text, x text,"
        " flag bool);",
        "ALTER TABLE t ENABLE ROW LEVEL SECURITY;",
        "ALTER TABLE t FORCE ROW LEVEL SECURITY;",
    ]
    sql += [f"CREATE POLICY p{i} ON t USING ({text});" for i, text in enumerate(TRUE_SPELLINGS)]
    sql += [f"CREATE POLICY q{i} ON t USING ({text});" for i, text in enumerate(NOT_TRUE)]
    script = "\n".join(sql)
    dsn = make_db("sec004", script)
    with psycopg.connect(dsn) as conn:  # PostgreSQL's own reading: each spelling is true
        for text in TRUE_SPELLINGS:
            assert conn.execute(f"SELECT ({text}) IS TRUE").fetchone() == (True,), text
    expected = {f"rules.SEC004.public.t.p{i}" for i in range(len(TRUE_SPELLINGS))}
    for model in (live.introspect(dsn), interpret(script)):
        hits = {f.id for f in run_rules(model, ["security"]) if ".SEC004." in f.id}
        assert hits == expected
