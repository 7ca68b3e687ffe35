"""`init` holds a function's argument DEFAULTs: `CREATE OR REPLACE FUNCTION` may change a
default's value (or give an argument one), and every caller leaving that argument out then
gets another value; before, the audit of init's spec PASSed it (a false PASS, confirmed on
PostgreSQL 15: only the identity arguments were read). Read live from proargdefaults, written
from the history's CREATE FUNCTION statically; compared as expressions (``'x'`` is
``'x'::text``). Each change below must FAIL the spec `init --dsn` wrote and the one
`init --sql` wrote of the history that built the database. Real PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from init_mutations import (
    audit_report,
    change_after_init_fails_test,
    failing_ids,
    module_specs,
)

BASE = """
CREATE SCHEMA x8f;
CREATE TYPE x8f.state AS ENUM ('active', 'gone');
CREATE FUNCTION x8f.f(a int, b int DEFAULT 5, c text DEFAULT 'x, y', d int[] DEFAULT ARRAY[1, 2])
  RETURNS int LANGUAGE sql AS 'SELECT a';
CREATE FUNCTION x8f.g(a int DEFAULT NULL, b timestamptz DEFAULT now(), s x8f.state DEFAULT 'active')
  RETURNS int LANGUAGE sql AS 'SELECT a';
CREATE FUNCTION x8f.h(a int) RETURNS int LANGUAGE sql AS 'SELECT a';
CREATE FUNCTION x8f.o(a int DEFAULT 1 + 1, OUT r int) LANGUAGE sql AS 'SELECT a';
CREATE FUNCTION x8f.v(a int, VARIADIC b text[] DEFAULT '{}') RETURNS int LANGUAGE sql AS 'SELECT a';
CREATE PROCEDURE x8f.p(a int, b text DEFAULT 'on') LANGUAGE sql AS 'SELECT 1';
"""

# each passed the audit of init's spec before (a false PASS); now FAILs, with this in the message
MUTATIONS = {
    "default changed": (
        "CREATE OR REPLACE FUNCTION x8f.f(a int, b int DEFAULT 6, c text DEFAULT 'x, y',"
        " d int[] DEFAULT ARRAY[1, 2]) RETURNS int LANGUAGE sql AS 'SELECT a'",
        "defaults is ['6', ",
    ),
    "text default changed": (
        "CREATE OR REPLACE FUNCTION x8f.f(a int, b int DEFAULT 5, c text DEFAULT 'x',"
        " d int[] DEFAULT ARRAY[1, 2]) RETURNS int LANGUAGE sql AS 'SELECT a'",
        "'x'::text",
    ),
    "default given to another argument": (
        "CREATE OR REPLACE FUNCTION x8f.f(a int DEFAULT 0, b int DEFAULT 5, c text DEFAULT 'x, y',"
        " d int[] DEFAULT ARRAY[1, 2]) RETURNS int LANGUAGE sql AS 'SELECT a'",
        "defaults is ['0', '5'",
    ),
    "null default made a value": (
        "CREATE OR REPLACE FUNCTION x8f.g(a int DEFAULT 0, b timestamptz DEFAULT now(),"
        " s x8f.state DEFAULT 'active') RETURNS int LANGUAGE sql AS 'SELECT a'",
        "defaults is ['0', 'now()', ",
    ),
    "enum default changed": (
        "CREATE OR REPLACE FUNCTION x8f.g(a int DEFAULT NULL, b timestamptz DEFAULT now(),"
        " s x8f.state DEFAULT 'gone') RETURNS int LANGUAGE sql AS 'SELECT a'",
        "'gone'::x8f.state",
    ),
    "default added": (
        "CREATE OR REPLACE FUNCTION x8f.h(a int DEFAULT 1) RETURNS int LANGUAGE sql AS 'SELECT a'",
        "x8f.h(a integer) (DEFAULT 1)",
    ),
    "expression default changed": (
        "CREATE OR REPLACE FUNCTION x8f.o(a int DEFAULT 2, OUT r int) LANGUAGE sql AS 'SELECT a'",
        "defaults is ['2'], expected ['",
    ),
    "procedure default changed": (
        "CREATE OR REPLACE PROCEDURE x8f.p(a int, b text DEFAULT 'off') LANGUAGE sql AS 'SELECT 1'",
        "'off'::text",
    ),
}


initialised, static_spec = module_specs("exact8f", BASE)


@pytest.mark.parametrize("source", ["dsn", "sql"])
def test_init_then_audit_of_the_same_database_passes(
    initialised, static_spec: Path, source: str
) -> None:  # type: ignore[no-untyped-def]
    """Both specs state every default, and the database passes them; the ``h`` without one
    states none."""
    _, dsn, live_spec = initialised
    spec = live_spec if source == "dsn" else static_spec
    assert failing_ids(audit_report(spec, dsn)) == []
    text = spec.read_text()
    assert text.count("\n    defaults: [") == 5
    assert "\n    defaults: ['5', " in text


test_a_change_after_init_fails = change_after_init_fails_test("exact8fm", MUTATIONS)
