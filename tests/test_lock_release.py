"""An audit never stands in the way of a production migration.

Reading a view's definition share-locks every table the view reads. Held until the audit's
read-only transaction ends, such a lock makes a migration's ``ALTER TABLE`` (which needs
ACCESS EXCLUSIVE) wait — and with the short ``lock_timeout`` careful teams set, fail — and
every query queued behind that migration waits too. The reader therefore gives back every
relation lock as soon as the query that took it has returned, keeping its snapshot.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import psycopg
import pytest

from schema_audit.cli import early_read
from schema_audit.sources import live

SCHEMA = (
    """
CREATE TABLE orders (id int PRIMARY KEY, amount numeric NOT NULL);
CREATE TABLE customers (id int PRIMARY KEY, name text);
CREATE VIEW big_orders AS SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.id
  WHERE o.amount > 100;
CREATE MATERIALIZED VIEW order_totals AS SELECT sum(amount) AS total FROM orders;
CREATE POLICY p ON orders USING (amount > 0);
"""
    + f"""
-- View definitions are read in slices, each rolled back before the next; the last slice is
-- given back by the rollback after the query (RELEASE_LOCKS). A view over orders in the last
-- slice makes that final rollback observable.
DO $$
DECLARE
  i int := 0;
BEGIN
  LOOP
    EXECUTE format('CREATE VIEW last_slice_%s AS SELECT id FROM orders', i);
    EXIT WHEN (SELECT pg_catalog.mod(pg_catalog.hashoid(c.oid) & 2147483647,
                                     {live.VIEWDEF_CHUNKS})
               FROM pg_catalog.pg_class c
               WHERE c.relname = format('last_slice_%s', i)) = {live.VIEWDEF_CHUNKS - 1};
    i := i + 1;
  END LOOP;
END $$;
"""
)

LOCKS_ON_USER_TABLES = """
SELECT c.relname, l.mode FROM pg_catalog.pg_locks l
JOIN pg_catalog.pg_class c ON c.oid = l.relation
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE l.pid = %s AND n.nspname = 'public' AND l.granted
ORDER BY 1, 2"""


@pytest.fixture
def dsn(make_db):  # type: ignore[no-untyped-def]
    return make_db("locks", SCHEMA)


@pytest.mark.parametrize("where", ["in process", "in the early read's child"])
def test_no_relation_lock_outlives_the_catalog_query_that_took_it(
    dsn: str, where: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """After each query, what its connection still holds on the user's tables: nothing, in
    a read made here and in the child that runs the early read's queries (the watcher runs
    in that child and writes what it saw to a file)."""
    seen = tmp_path / "held.jsonl"
    real_rows = live._Reader.rows

    def rows_then_look(self, query, what, **kwargs):  # type: ignore[no-untyped-def]
        out = real_rows(self, query, what, **kwargs)
        with psycopg.connect(dsn, autocommit=True) as watcher:
            pid = self.conn.info.backend_pid
            locks = watcher.execute(LOCKS_ON_USER_TABLES, (pid,)).fetchall()
        with seen.open("a") as file:
            file.write(json.dumps([os.getpid(), what, locks]) + "\n")
        return out

    monkeypatch.setattr(live._Reader, "rows", rows_then_look)
    if where == "in process":
        model = live.introspect(dsn)
    else:
        monkeypatch.chdir(tmp_path)
        early_read.start(["init", "--dsn", dsn])
        model = early_read.take(dsn, None, 4).result(lambda line: None).model
    assert "public.big_orders" in model.views  # the definitions were read
    watched = [json.loads(line) for line in seen.read_text().splitlines()]
    readers = {pid for pid, _, _ in watched}
    assert (readers == {os.getpid()}) == (where == "in process"), readers  # the child's, there
    held = {what: locks for _, what, locks in watched}
    assert len(held) >= 10  # every query was watched
    assert {what: locks for what, locks in held.items() if locks} == {}


def test_a_migration_with_a_short_lock_timeout_goes_through_during_an_audit(
    dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The experiment of issue 19, made deterministic: the migration runs while the audit is
    paused right after reading view definitions, in the middle of its snapshot."""
    outcome: dict[str, str] = {}
    real_rows = live._Reader.rows

    def migrate_meanwhile(self, query, what, **kwargs):  # type: ignore[no-untyped-def]
        out = real_rows(self, query, what, **kwargs)
        if query is live.Q_VIEWDEFS:

            def migrate() -> None:
                try:
                    with psycopg.connect(dsn, autocommit=True) as app:
                        app.execute("SET lock_timeout = '200ms'")
                        app.execute("ALTER TABLE orders ADD COLUMN note text")
                        outcome["ddl"] = "ok"
                except psycopg.errors.LockNotAvailable as exc:
                    outcome["ddl"] = f"failed: {exc}"

            worker = threading.Thread(target=migrate)
            worker.start()
            worker.join(10)
        return out

    monkeypatch.setattr(live._Reader, "rows", migrate_meanwhile)
    model = live.introspect(dsn)
    assert outcome == {"ddl": "ok"}
    # and the audit still reads its own consistent snapshot: the column added meanwhile is not in it
    assert "note" not in model.tables["public.orders"].columns
    assert "public.order_totals" in model.views


VIEWS_OVER_TABLES = "".join(
    f"CREATE TABLE t{n} (id int PRIMARY KEY);\nCREATE VIEW v{n} AS SELECT id FROM t{n};\n"
    for n in range(12)
)


def test_a_view_read_earlier_in_the_query_does_not_keep_its_table_locked(
    make_db,  # type: ignore[no-untyped-def]
) -> None:
    """Inside one query, a lock lasts until the query ends: reading every view definition in
    one statement held the first views' tables for as long as the rest took (at 5,000 tables
    long enough to fail a migration's 200 ms lock_timeout). Shown here by making a later view
    wait: while the reader waits on it, it must hold no lock on an earlier view's table."""
    dsn = make_db("viewlocks", VIEWS_OVER_TABLES)
    with psycopg.connect(dsn, autocommit=True) as conn:
        # the slice each view is read in, and the order a single query reads them in
        rows = conn.execute(
            "SELECT relname, pg_catalog.mod(pg_catalog.hashoid(oid) & 2147483647, %s)"
            " FROM pg_class WHERE relkind = 'v' AND relnamespace = 'public'::regnamespace"
            " ORDER BY oid",
            (live.VIEWDEF_CHUNKS,),
        ).fetchall()
    early, late = next(
        (a, b) for i, a in enumerate(rows) for b in rows[i + 1 :] if a[1] < b[1]
    )  # read first both as one query (oid order) and in slices
    early_table, late_table = "t" + early[0][1:], "t" + late[0][1:]

    holder = psycopg.connect(dsn)
    holder.execute(f"LOCK TABLE {late_table} IN ACCESS EXCLUSIVE MODE")
    result: dict[str, object] = {}

    def read() -> None:
        result["model"] = live.introspect(dsn, jobs=1, lock_timeout_ms=20000)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        with psycopg.connect(dsn, autocommit=True) as watcher:
            pid = None
            for _ in range(200):  # the reader reaches the late view and waits for its lock
                found = watcher.execute(
                    "SELECT pid FROM pg_catalog.pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND query LIKE '%%pg_get_viewdef%%'"
                ).fetchone()
                if found:
                    pid = found[0]
                    break
                threading.Event().wait(0.05)
            assert pid is not None, "the reader never waited on the locked view's table"
            held = [name for name, _ in watcher.execute(LOCKS_ON_USER_TABLES, (pid,)).fetchall()]
    finally:
        holder.rollback()
        holder.close()
        reader.join(60)
    assert early_table not in held, f"{early_table} still locked while reading {late[0]}"
    model = result["model"]
    assert {f"public.v{n}" for n in range(12)} <= set(model.views)  # type: ignore[attr-defined]
    assert all(model.views[f"public.v{n}"].definition for n in range(12))  # type: ignore[attr-defined]
