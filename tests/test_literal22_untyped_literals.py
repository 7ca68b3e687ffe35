"""Untyped literals PostgreSQL 15 types by where they stand, read as it stores them.

An unknown literal takes the type of the operand it meets (an operator for two of that type
exists): ``n + 1 > '5'`` over an integer is stored ``((n + 1) > 5)``, ``n BETWEEN '1' AND
'9'`` as ``((n >= 1) AND (n <= 9))``, ``n IN ('1', '2')`` as ``(n = ANY (ARRAY[1, 2]))``,
``d + '1 hour' > '2 hours'`` as intervals, and a literal meeting a date/time column as that
type's value (``dt > '2024-1-1'``: ``'2024-01-01'::date``). fidelity19 typed only a literal
meeting a bare column with a comparison; the rest stayed bare, so such CHECKs, index
predicates and policies differed from the catalog's (a false FAIL against a spec written
from the database).

A timestamptz literal is an instant, printed in the reading session's TimeZone: written with
a UTC offset it is the same instant whatever the session that ran it (a history run under
Europe/Berlin stores ``'2024-01-01 02:00:00+02'`` as UTC's ``'2024-01-01 00:00:00+00'``),
so the two compare equal; written without one, the instant depends on that session's
TimeZone, which no file records: undecided (DEFERRED), never equal nor a difference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, compared_with_catalog

from schema_audit import sqlnorm

FILES = {
    "001_literals.sql": (
        "CREATE TABLE k (\n"
        "  n int, b bigint, s smallint, r real, f float8, num numeric(6,2), d interval,\n"
        "  t timestamptz, ts timestamp, dt date, tm time,\n"
        "  CHECK (n + 1 > '5'), CHECK (b * 2 < '10'), CHECK ('0' < s - 1),\n"
        "  CHECK (r + 1 > '2'), CHECK (f / 2 > '0.5'), CHECK (num * 2 > '3.5'),\n"
        "  CHECK (n % 2 = '0'), CHECK ((n + 1) * 2 > '5'), CHECK (- n < '3'),\n"
        "  CHECK (n BETWEEN '1' AND '9'), CHECK (r BETWEEN '1' AND '2.5'),\n"
        "  CHECK (n NOT BETWEEN '1' AND '9'), CHECK (n BETWEEN SYMMETRIC '9' AND '1'),\n"
        "  CHECK (n IN ('1', '2')), CHECK (r IN ('1', '2')), CHECK (n NOT IN ('1', '2')),\n"
        "  CHECK (d IN ('1 hour', '1 day')), CHECK (d + '1 hour' > '2 hours'),\n"
        "  CHECK (dt > '2024-1-1'), CHECK (tm < '12:00'), CHECK (ts > '2024-01-01 00:00+05'),\n"
        "  CHECK (t IN ('2024-01-01 02:00+02', '2024-06-01 00:00Z'))\n"
        ");\n"
        "CREATE INDEX ki ON k (n) WHERE n > '5' AND t < '2030-01-01 00:00+01';\n"
        "CREATE INDEX kj ON k (n) WHERE n BETWEEN '1' AND '9' AND dt <> '2024-02-03';\n"
        "ALTER TABLE k ENABLE ROW LEVEL SECURITY;\n"
        "CREATE POLICY p ON k USING (n IN ('1', '2') AND ts < '2024-01-01 00:00');\n"
    ),
}


@PATHS
def test_untyped_literals_read_as_postgresql_stores_them(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    dsn = make_db("literal22_untyped")
    _, compared = compared_with_catalog(dsn, tmp_path, monkeypatch, ahead, FILES)
    assert [str(d) for d in compared.differences] == []
    assert compared.undecided == []


SESSION_FILES = {
    "001_berlin.sql": (
        "SET TimeZone = 'Europe/Berlin';\n"
        "CREATE TABLE e (t timestamptz CHECK (t > '2024-01-01 02:00:00+02'));\n"
        "CREATE INDEX ei ON e (t) WHERE t < '2030-07-01 12:00-04';\n"
        "CREATE TABLE z (t timestamptz CHECK (t > '2024-01-01 00:00:00'));\n"
    ),
}


@PATHS
def test_a_timestamptz_literal_is_its_instant_or_undecided(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    """With an offset: the same instant (equal); without: the session's (undecided), where
    PostgreSQL stored the Berlin midnight, ``'2023-12-31 23:00:00+00'`` in UTC."""
    dsn = make_db("literal22_timestamptz")
    catalog, compared = compared_with_catalog(dsn, tmp_path, monkeypatch, ahead, SESSION_FILES)
    assert [str(d) for d in compared.differences] == []
    assert [(u.difference.object, u.difference.session) for u in compared.undecided] == [
        ("constraint z_t_check on public.z", "right")
    ]
    stored = catalog.tables["public.z"].checks["z_t_check"].expression
    assert "2023-12-31 23:00:00+00" in str(stored)


def test_different_instants_stay_different() -> None:
    """The instant is compared, not the text: another offset is another instant."""
    one = "(t > '2024-01-01 00:00:00+00'::timestamp with time zone)"
    assert sqlnorm.canonical_expr(one) == sqlnorm.canonical_expr(
        "t > '2024-01-01 01:00:00+01'::timestamptz"
    )
    assert sqlnorm.canonical_expr(one) != sqlnorm.canonical_expr(
        "t > '2024-01-01 00:00:00+01'::timestamptz"
    )


EXCLUDE = {
    "001_exclude.sql": (
        "CREATE TABLE x (n int, r int, d interval, num numeric);\n"
        "ALTER TABLE x ADD EXCLUDE USING btree (r WITH =) WHERE (n > '5' AND d < '1 day');\n"
        "ALTER TABLE x ADD CONSTRAINT xn EXCLUDE (r WITH =) WHERE (n < 2.5 AND num > 1);\n"
    ),
}


@PATHS
def test_an_exclusion_constraints_predicate_is_stored_as_an_index_predicate(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    """An EXCLUDE's WHERE is its index's predicate, with the casts PostgreSQL adds there
    (``(n > 5)``, ``((n)::numeric < 2.5)``); it was kept as written."""
    dsn = make_db("literal22_exclude")
    _, compared = compared_with_catalog(dsn, tmp_path, monkeypatch, ahead, EXCLUDE)
    assert [str(d) for d in compared.differences] == []


COALESCE = {
    "001_coalesce.sql": (
        "CREATE TABLE c (n int, b bigint, f float8, num numeric, d interval,\n"
        "  CHECK (coalesce(n, 0) > '1'), CHECK (coalesce(n, 0) + 1.5 > 2),\n"
        "  CHECK (coalesce(f, f) > 1), CHECK (coalesce(num, num) > '2'),\n"
        "  CHECK (greatest(n, 1) IN ('1', '2')), CHECK (least(d, d) < '1 hour'));\n"
    ),
}


@PATHS
def test_a_literal_meeting_a_coalesce_takes_its_type(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    """``coalesce(n, 0) > '1'`` is stored ``(COALESCE(n, 0) > 1)``: a COALESCE, GREATEST or
    LEAST of arguments of one kind is of that kind (an integer meeting a numeric promoted);
    of mixed kinds or integer widths (PostgreSQL casts inside the call) it is left as written."""
    dsn = make_db("literal22_coalesce")
    _, compared = compared_with_catalog(dsn, tmp_path, monkeypatch, ahead, COALESCE)
    assert [str(d) for d in compared.differences] == []
