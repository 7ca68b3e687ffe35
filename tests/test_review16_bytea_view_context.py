"""A bare literal matches a bytea literal of the same bytes only where PostgreSQL types it
by another operand.

``string_agg(DISTINCT certificate, '|')`` over a bytea column stores the separator as bytea
(fidelity14's rule). But a bare literal alone, or beside other literals, is text:
``length('é')`` is length(text) = 1 and ``length('\\xc3a9'::bytea)`` is 2; ``'a' || 'b'`` is
text and ``'\\x61'::bytea || '\\x62'::bytea`` bytea; ``concat(b, 'x')`` keeps 'x' text. The
rule took each pair for the same view: a database whose view was changed so passed the
history's spec (false PASS). Real PostgreSQL (the values differ).
"""

from __future__ import annotations

from pathlib import Path

import psycopg
from statement_runs import differences, run_each

from schema_audit.viewtext import views_equal

HISTORY = [
    "CREATE TABLE cert (id int, certificate bytea)",
    "CREATE VIEW v AS SELECT length('é') AS n",
    "CREATE VIEW w AS SELECT 'a' || 'b' AS c",
    "CREATE VIEW x AS SELECT concat(certificate, 'x') AS c FROM cert",
]
DATABASE = [
    "CREATE TABLE cert (id int, certificate bytea)",
    "CREATE VIEW v AS SELECT length('\\xc3a9'::bytea) AS n",
    "CREATE VIEW w AS SELECT '\\x61'::bytea || '\\x62'::bytea AS c",
    "CREATE VIEW x AS SELECT concat(certificate, '\\x78'::bytea) AS c FROM cert",
    "INSERT INTO cert VALUES (1, '\\x01')",
]


def test_a_bare_literal_not_typed_by_another_operand_is_not_bytea(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn, errors = run_each(make_db, "rev16_bytea", DATABASE)
    assert errors == {}
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT n FROM v").fetchone() == (2,)  # the history's: 1
        assert conn.execute("SELECT c FROM x").fetchone() == (
            "\\x01\\x78",
        )  # the history's: \\x01x
    found = differences(dsn, HISTORY)
    assert sorted(d.split(":")[0] for d in found) == [
        "view public.v",
        "view public.w",
        "view public.x",
    ]


def test_beside_an_operand_that_types_it_a_bare_literal_still_matches() -> None:
    assert views_equal(
        "SELECT '\\x61'::bytea || 'b' AS c",
        "SELECT '\\x61'::bytea || '\\x62'::bytea AS c",
    )
    assert views_equal(
        "SELECT greatest(certificate, 'b') AS c FROM cert",
        "SELECT GREATEST(cert.certificate, '\\x62'::bytea) AS c FROM cert",
    )
    assert not views_equal("SELECT length('é') AS n", "SELECT length('\\xc3a9'::bytea) AS n")
