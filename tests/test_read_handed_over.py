"""A live read is handed over before its connections close (issue 19).

Closing a read is a rollback round trip and a connection's end per connection. The reading
child (``sources/live_child.py``) used to close them before it told its parent the read was
over, so an ``audit --dsn`` or ``init --dsn`` at 1,000 tables waited 10-40 ms for that with
its model built. ``live.opened``'s ``read_over`` is called once every query is answered and
every notice told, while the connections are still open; the child sends its last message
there. What the read says (its notices, its round trips) must be the same as before: a
notice told at the pool's end, after ``read_over``, would be lost for the parent.
"""

from __future__ import annotations

import json
import os

import psycopg
import pytest
from test_live_child import _early
from test_parallel_read import _role_dsn

from schema_audit.model import to_data
from schema_audit.sources import live

SCHEMA = """
CREATE TABLE customers (id int PRIMARY KEY, name text);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers,
                     amount numeric NOT NULL CHECK (amount >= 0));
CREATE VIEW big_orders AS SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id;
COMMENT ON TABLE orders IS 'orders';
"""


def _read_connections(dsn: str) -> int:
    """The read's sessions on this database, seen from another session."""
    dbname = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = %s AND application_name = 'schema-audit'",
            (dbname,),
        ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize("jobs", [1, 4])
def test_the_read_is_over_before_its_connections_close(make_db, jobs: int) -> None:  # type: ignore[no-untyped-def]
    """``read_over`` runs once, after the body, with every connection of the read still open;
    the model is the one a plain read makes, and no session is left afterwards."""
    dsn = make_db("handed_over", SCHEMA)
    seen: list[int] = []
    with live.opened(
        dsn,
        schemas=None,
        statement_timeout_ms=30000,
        lock_timeout_ms=5000,
        jobs=jobs,
        notice=print,
        read_over=lambda: seen.append(_read_connections(dsn)),
    ) as (rows, version):
        model = live._read_all(rows, *version)
        assert seen == []
    assert seen == [jobs]
    assert _read_connections(dsn) == 0
    assert json.dumps(to_data(model), sort_keys=True) == json.dumps(
        to_data(live.introspect(dsn, jobs=jobs)), sort_keys=True
    )


def test_a_notice_of_the_pool_s_end_is_told_before_the_read_is_over(pg_server, make_db) -> None:  # type: ignore[no-untyped-def]
    """Fewer connections than asked: the pool says so when its threads end; that line is
    told before ``read_over`` (in process), and reaches the parent of a reading child."""
    dsn = make_db("handed_over_capped", SCHEMA)
    role = f"handed_capped_{os.getpid()}"
    pg_server.execute(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 1")
    try:
        capped = _role_dsn(dsn, role)
        notes: list[str] = []
        told_when_over: list[list[str]] = []
        with live.opened(
            capped,
            schemas=None,
            statement_timeout_ms=30000,
            lock_timeout_ms=5000,
            jobs=4,
            notice=notes.append,
            read_over=lambda: told_when_over.append(list(notes)),
        ) as (rows, version):
            live._read_all(rows, *version)
        assert len(told_when_over) == 1 and told_when_over[0] == notes
        assert len(notes) == 1
        assert notes[0].startswith("reading the catalog on 1 of 4 connections: ")
        got = _early(["init", "--dsn", capped])
        assert got["notes"] == notes
    finally:
        pg_server.execute(f"DROP ROLE {role}")
