"""Catalog reads on several connections that share one exported snapshot (as pg_dump -j).

The guarantee is the single connection's: one consistent instant of the catalog, read-only,
timeouts set, no lock kept after its query. These tests hold DDL committed by another session
while a parallel read is under way, and servers that refuse the extra connections or the export.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from cli_runner import run_cli
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from schema_audit.model import to_data
from schema_audit.sources import live
from schema_audit.sources.live_pool import Planned, SharedSnapshotPool

SCHEMA = """
CREATE TABLE customers (id int PRIMARY KEY, name text);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers,
                     amount numeric NOT NULL CHECK (amount >= 0));
CREATE INDEX orders_amount ON orders (amount) WHERE amount > 100;
CREATE VIEW big_orders AS SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
""" + "".join(
    f"CREATE TABLE t{i} (id int PRIMARY KEY, v text UNIQUE, w int CHECK (w > 0));\n"
    f"CREATE INDEX t{i}_w ON t{i} (w);\n"
    for i in range(40)
)

# committed by another session while the read is paused: none of it may be in the model
DDL_MEANWHILE = """
CREATE TABLE added_meanwhile (id int PRIMARY KEY);
ALTER TABLE orders ADD COLUMN note text;
CREATE INDEX orders_customer ON orders (customer_id);
ALTER TABLE customers ADD CONSTRAINT customers_name_key UNIQUE (name);
ALTER TABLE t7 ADD CONSTRAINT t7_w_small CHECK (w < 1000);
CREATE POLICY p ON orders USING (amount > 0);
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
CREATE FUNCTION added_fn() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE VIEW added_view AS SELECT id FROM customers;
CREATE TYPE added_enum AS ENUM ('a');
CREATE SEQUENCE added_seq;
GRANT SELECT ON orders TO PUBLIC;
"""


def to_json(model) -> str:  # type: ignore[no-untyped-def]
    return json.dumps(to_data(model), sort_keys=True)


@pytest.fixture
def dsn(make_db):  # type: ignore[no-untyped-def]
    return make_db("parallel", SCHEMA)


@pytest.fixture
def dsn_expr(make_db):  # type: ignore[no-untyped-def]
    """SCHEMA with an index the server deparses (the read asks for its definition; with every
    index plain it does not, tests/test_index_definitions_asked.py)."""
    return make_db(
        "parallel_expr", SCHEMA + "CREATE INDEX customers_lower ON customers (lower(name));"
    )


def _served_by(monkeypatch: pytest.MonkeyPatch, before=None) -> dict[str, set[int]]:  # type: ignore[no-untyped-def]
    """Record which backend answered each catalog query (and run ``before`` first)."""
    served: dict[str, set[int]] = {}
    lock = threading.Lock()
    real_rows = live._Reader.rows

    def rows(self, query, what, **kwargs):  # type: ignore[no-untyped-def]
        if before is not None:
            before()
        with lock:
            served.setdefault(what, set()).add(self.conn.info.backend_pid)
        return real_rows(self, query, what, **kwargs)

    monkeypatch.setattr(live._Reader, "rows", rows)
    return served


def test_ddl_committed_during_a_parallel_read_is_invisible_to_every_connection(
    dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every connection's first catalog query waits until another session has committed
    DDL touching each kind of object; all of them still read the instant of the export."""
    committed = threading.Event()
    lock = threading.Lock()

    def ddl_once() -> None:
        with lock:
            if not committed.is_set():
                with psycopg.connect(dsn, autocommit=True) as other:
                    other.execute(DDL_MEANWHILE)
                committed.set()

    served = _served_by(monkeypatch, before=ddl_once)
    model = live.introspect(dsn, jobs=4)
    notes: list[str] = []
    assert committed.is_set()
    backends = set().union(*served.values())
    assert len(backends) == 4, served  # really read on four connections
    assert len(served["indexes"]) > 1  # the heavy queries were split among them
    orders = model.tables["public.orders"]
    assert "public.added_meanwhile" not in model.tables
    assert "note" not in orders.columns
    assert "orders_customer" not in orders.indexes
    assert "customers_name_key" not in model.tables["public.customers"].uniques
    assert "t7_w_small" not in model.tables["public.t7"].checks
    assert orders.policies == {}
    assert orders.triggers == {}
    assert not any(name.startswith("public.added_fn") for name in model.functions)
    assert "public.added_view" not in model.views
    assert "public.added_enum" not in model.enums
    assert "public.added_seq" not in model.sequences
    assert not any(g.grantee == "public" for g in orders.grants)
    assert model.blind_spots == [] and notes == []
    # and a fresh read sees all of it: the DDL did land
    fresh = live.introspect(dsn, jobs=4)
    assert "note" in fresh.tables["public.orders"].columns
    assert "orders_customer" in fresh.tables["public.orders"].indexes
    assert "t7_w_small" in fresh.tables["public.t7"].checks


def test_parallel_and_single_connection_reads_give_the_same_model(dsn: str) -> None:
    assert to_json(live.introspect(dsn, jobs=4)) == to_json(live.introspect(dsn, jobs=1))
    assert to_json(live.introspect(dsn, jobs=3)) == to_json(live.introspect(dsn, jobs=1))


def test_jobs_1_reads_on_one_connection(dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    served = _served_by(monkeypatch)
    live.introspect(dsn, jobs=1)
    assert len(set().union(*served.values())) == 1


def test_every_connection_is_read_only_with_the_timeouts_and_keeps_no_lock(
    dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[int, tuple] = {}
    locks: list[tuple] = []
    real_rows = live._Reader.rows

    def rows(self, query, what, **kwargs):  # type: ignore[no-untyped-def]
        out = real_rows(self, query, what, **kwargs)
        pid = self.conn.info.backend_pid
        seen[pid] = self.conn.execute(
            "SELECT current_setting('transaction_read_only'),"
            " current_setting('transaction_isolation'), current_setting('statement_timeout'),"
            " current_setting('lock_timeout'), current_setting('search_path'),"
            " current_setting('jit'), current_setting('max_parallel_workers_per_gather')"
        ).fetchone()
        with psycopg.connect(dsn, autocommit=True) as watcher:
            locks.extend(
                watcher.execute(
                    "SELECT l.relation::regclass::text, l.mode FROM pg_locks l"
                    " JOIN pg_class c ON c.oid = l.relation"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE l.pid = %s AND n.nspname = 'public'",
                    (pid,),
                ).fetchall()
            )
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            self.conn.execute("SAVEPOINT probe")
            try:
                self.conn.execute("CREATE TABLE must_not_exist (id int)")
            finally:
                self.conn.execute("ROLLBACK TO SAVEPOINT probe")
        return out

    monkeypatch.setattr(live._Reader, "rows", rows)
    live.introspect(dsn, jobs=4, statement_timeout_ms=7000, lock_timeout_ms=3000)
    assert len(seen) == 4
    # no parallel workers: at 5,000 tables they cost the server 0.2 CPU s more for the read
    assert set(seen.values()) == {("on", "repeatable read", "7s", "3s", "", "off", "0")}
    assert locks == []


def _role_dsn(dsn: str, role: str) -> str:
    params = conninfo_to_dict(dsn)
    params["user"] = role
    return make_conninfo(**params)


def test_refused_extra_connections_fall_back_to_fewer_with_one_notice(
    pg_server, dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    role = f"capped_{os.getpid()}"
    pg_server.execute(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 1")
    try:
        served = _served_by(monkeypatch)
        notes: list[str] = []
        model = live.introspect(_role_dsn(dsn, role), jobs=4, notice=notes.append)
        assert len(set().union(*served.values())) == 1
        assert len(notes) == 1
        assert notes[0].startswith("reading the catalog on 1 of 4 connections: ")
        assert "too many connections for role" in notes[0]
        assert model.blind_spots == []
        assert sorted(model.tables) == sorted(live.introspect(dsn, jobs=1).tables)
    finally:
        pg_server.execute(f"DROP ROLE {role}")


def test_a_refused_snapshot_export_reads_on_one_connection_with_one_notice(
    pg_server, dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A server that exports no snapshot to this role (the function's EXECUTE revoked)."""
    role = f"noexport_{os.getpid()}"
    pg_server.execute(f"CREATE ROLE {role} LOGIN")
    dbname = conninfo_to_dict(dsn)["dbname"]
    pg_server.execute(
        "REVOKE EXECUTE ON FUNCTION pg_catalog.pg_export_snapshot() FROM PUBLIC", dbname
    )
    try:
        served = _served_by(monkeypatch)
        notes: list[str] = []
        model = live.introspect(_role_dsn(dsn, role), jobs=4, notice=notes.append)
        assert len(set().union(*served.values())) == 1
        assert notes == [
            "reading the catalog on one connection: the server exports no snapshot "
            "(permission denied for function pg_export_snapshot)"
        ]
        assert sorted(model.tables) == sorted(live.introspect(dsn, jobs=1).tables)
    finally:
        pg_server.execute(f"DROP OWNED BY {role}", dbname)
        pg_server.execute(f"DROP ROLE {role}")


@pytest.mark.parametrize("jobs", [1, 4])
def test_what_the_read_could_not_read_is_said_in_the_same_order_whatever_it_built_first(
    pg_server, dsn: str, jobs: int
) -> None:  # type: ignore[no-untyped-def]
    """The indexes are built before the constraints (the connections answer the constraint
    query meanwhile); the blind spots keep the order a read of the constraints first said
    them in, on one connection and on four. pg_constraint refused to the role: the
    constraint, index, index definition and object notes queries are refused."""
    with _catalog_refused(pg_server, dsn, "pg_constraint", f"noconstraints_{jobs}") as role_dsn:
        model = live.introspect(role_dsn, jobs=jobs, notice=lambda line: None)
    # one line per part of a split query (its part n on connection n)
    assert [spot.split(":")[0] for spot in model.blind_spots] == [
        *["constraints"] * jobs,
        *["indexes"] * jobs,
        "index definitions",
        "comments, index options and CLUSTER ON",  # reads pg_constraint too
        "domains",  # their CHECK constraints too
    ]
    assert all("permission denied for table pg_constraint" in s for s in model.blind_spots)
    orders = model.tables["public.orders"]
    assert orders.columns and not orders.indexes and not orders.checks


@pytest.mark.parametrize("jobs", [1, 4])
def test_view_definitions_taken_last_are_said_where_a_read_taking_them_first_said_them(
    pg_server, dsn: str, jobs: int
) -> None:  # type: ignore[no-untyped-def]
    """The view definitions are taken last (their slices held back a connection's share of
    the indexes); what they could not read is still said right after the columns, before the
    other queries refused for the same reason. pg_rewrite refused to the role: view
    definitions, view dependencies, rules and the unmodelled rules are refused."""
    with _catalog_refused(pg_server, dsn, "pg_rewrite", f"norewrite_{jobs}") as role_dsn:
        model = live.introspect(role_dsn, jobs=jobs, notice=lambda line: None)
    assert [spot.split(":")[0] for spot in model.blind_spots] == [
        "view definitions",
        "view dependencies",
        "rules",
        "rules, domains and publications",
    ]
    assert all("permission denied for table pg_rewrite" in s for s in model.blind_spots)
    assert model.views["public.big_orders"].definition == ""
    assert model.tables["public.orders"].indexes  # the rest was read


@contextlib.contextmanager
def _catalog_refused(pg_server, dsn: str, table: str, name: str) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A DSN of a new role of ``dsn``'s database to which the catalog ``table`` is refused
    (SELECT revoked from PUBLIC); the grant and the role are put back afterwards."""
    role = f"{name}_{os.getpid()}"
    pg_server.execute(f"CREATE ROLE {role} LOGIN")
    dbname = conninfo_to_dict(dsn)["dbname"]
    pg_server.execute(f"REVOKE SELECT ON pg_catalog.{table} FROM PUBLIC", dbname)
    try:
        yield _role_dsn(dsn, role)
    finally:
        pg_server.execute(f"GRANT SELECT ON pg_catalog.{table} TO PUBLIC", dbname)
        pg_server.execute(f"DROP OWNED BY {role}", dbname)
        pg_server.execute(f"DROP ROLE {role}")


def test_a_failing_query_on_one_connection_fails_the_read_and_leaves_no_connection(
    dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_rows = live._Reader.rows

    def rows(self, query, what, **kwargs):  # type: ignore[no-untyped-def]
        if what == "triggers":  # a query the statement timeout cancels
            query = "SELECT 1 FROM pg_catalog.pg_sleep(5)"
        return real_rows(self, query, what, **kwargs)

    monkeypatch.setattr(live._Reader, "rows", rows)
    started = time.monotonic()
    with pytest.raises(live.LiveTimeoutError, match="reading triggers from .* timed out"):
        live.introspect(dsn, jobs=4, statement_timeout_ms=500)
    assert time.monotonic() - started < 4
    with psycopg.connect(dsn, autocommit=True) as watcher:
        for _ in range(50):  # a closed connection's backend exits a moment later
            left = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'schema-audit'"
                " AND datname = current_database()"
            ).fetchone()
            if left == (0,):
                break
            time.sleep(0.1)
    assert left == (0,)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env={"SCHEMA_AUDIT_CACHE": "0"}, timeout=120)


def test_the_jobs_option_sets_the_connections_of_a_dsn_read(pg_server, dsn: str) -> None:  # type: ignore[no-untyped-def]
    """A role allowed one connection: the default read says it got 1 of 4, ``--jobs 1``
    reads quietly on one; both print the same model. ``--jobs 0`` is bad input."""
    role = f"capped_cli_{os.getpid()}"
    pg_server.execute(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 1")
    try:
        capped = _role_dsn(dsn, role)
        default = _cli("inspect", "--dsn", capped)
        one = _cli("inspect", "--dsn", capped, "--jobs", "1")
        assert (default.returncode, one.returncode) == (0, 0), default.stderr + one.stderr
        assert default.stderr.startswith("schema-audit: reading the catalog on 1 of 4 connections")
        assert default.stderr.count("\n") == 1
        assert one.stderr == ""
        assert default.stdout == one.stdout and '"public.orders"' in one.stdout
        bad = _cli("inspect", "--dsn", capped, "--jobs", "0")
        assert bad.returncode == 2 and "--jobs" in bad.stderr and "Traceback" not in bad.stderr
    finally:
        pg_server.execute(f"DROP ROLE {role}")


def test_the_pool_keeps_no_rows_once_the_model_has_them(
    dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each query's rows belong to the consumer alone once it has them: the rows of every
    query lived until the pool closed, beside the finished model (issue 19: ~40 MiB of the
    5,000-table read's peak)."""
    import gc

    from schema_audit.sources.live_pool import SharedSnapshotPool

    consumed: list[tuple[str, tuple]] = []  # (query, its first row) in the order consumed
    held: dict[str, int] = {}
    real_rows = SharedSnapshotPool.rows

    def rows(self, query, what, **kwargs):  # type: ignore[no-untyped-def]
        # while the pool is open, a query consumed two or more calls ago: no list but the
        # consumer's may hold its rows (the pool's futures held them all until it closed)
        for earlier, row in consumed[:-1]:
            others = [x for x in gc.get_referrers(row) if type(x) is list]
            held[earlier] = max(held.get(earlier, 0), len(others))
        out = real_rows(self, query, what, **kwargs)
        if out:
            consumed.append((what, out[0]))
        return out

    monkeypatch.setattr(SharedSnapshotPool, "rows", rows)
    live.introspect(dsn, jobs=4)
    assert len(held) >= 8 and not any(held.values()), held


def test_the_plan_runs_the_queries_in_the_order_the_model_is_built_from_them(
    dsn_expr: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connections take the queries in plan order and the build waits for each in its
    own order: the same order lets the build work on early results while the servers answer
    later queries (a build that waited on schemas, planned last, overlapped nothing)."""
    dsn = dsn_expr
    served = _served_by(monkeypatch)
    live.introspect(dsn, jobs=1)
    built = [what for what in served if what != "server version"]
    planned = list(dict.fromkeys(p.what for p in live._plan(4)))
    # the queries the plan cannot know come after the rows they depend on: the relations'
    # queries (columns, indexes, constraints, policies) next, the indexes left to the server
    # once the constraints are built
    at = planned.index("relations") + 1
    relations_planned = ["columns", "plain operator classes", "indexes", "constraints", "policies"]
    planned[at:at] = relations_planned
    at = planned.index("constraints") + 1
    planned[at:at] = ["index definitions"]
    # the view definitions are planned after every split query and taken last
    planned.remove("view definitions")
    assert planned + ["view definitions"] == built
    # on a pool, the relations' queries are planned in that order ahead of the rest, each
    # other heavy query's part n for connection n, with the relations of the columns' part n
    # (each relation in exactly one part): a relation's indexes, constraints and policies
    # meet in one server process
    handed: list[Planned] = []
    real_plan_next = SharedSnapshotPool.plan_next

    def plan_next(self, plan):  # type: ignore[no-untyped-def]
        handed.extend(plan)
        return real_plan_next(self, plan)

    monkeypatch.setattr(SharedSnapshotPool, "plan_next", plan_next)
    live.introspect(dsn, jobs=4)
    whats = list(dict.fromkeys(p.what for p in handed if p.what != "index definitions"))
    assert whats == relations_planned
    slots = {(p.what, p.slot) for p in handed if p.slot is not None}
    assert slots == {(w, n) for w in ("constraints", "indexes", "policies") for n in range(4)}
    columns = [p.part for p in handed if p.what == "columns"]
    for what in ("indexes", "constraints", "policies"):
        assert [p.part for p in handed if p.what == what] == columns
    # the view definitions (32 slices) after all of them: planned before, the connection that
    # took them ran its share of the indexes, which the build waits for, last
    whats = [p.what for p in live._plan(4)]
    assert whats.index("view definitions") == whats.index("relations") + 1


def test_the_columns_are_read_for_the_relations_read_first_on_every_connection(
    dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The column query takes the relations Q_RELATIONS read, as oid arrays split between the
    connections, each relation in exactly one part: no part scans pg_class for them again
    (at 5,000 tables four such scans and their extension probes were half of the column
    query's server time). The connections start nothing else between the relations and the
    columns, which the build needs next."""
    started: list[tuple[str, str]] = []  # (what, part) in the order the queries started
    lock = threading.Lock()
    real_rows = live._Reader.rows

    def rows(self, query, what, **kwargs):  # type: ignore[no-untyped-def]
        with lock:
            started.append((what, kwargs.get("part", "")))
        return real_rows(self, query, what, **kwargs)

    monkeypatch.setattr(live._Reader, "rows", rows)
    live.introspect(dsn, jobs=4)
    order = [what for what, _ in started if what != "server version"]
    assert order[:6] == ["schemas", "relations"] + ["columns"] * 4, order[:8]
    parts = [part for what, part in started if what == "columns"]
    relids = [
        int(oid)
        for part in parts
        for oid in part.removeprefix("'{").removesuffix("}'::pg_catalog.oid[]").split(",")
        if oid
    ]
    with psycopg.connect(dsn) as conn:
        expected = [
            row[0]
            for row in conn.execute(
                "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname = 'public'"
            )
        ]
    assert len(expected) > 40 and sorted(relids) == sorted(expected)


def test_the_indexes_left_to_the_server_are_asked_for_before_the_others_are_built(
    dsn_expr: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The query for the indexes the server deparses is queued as soon as the index rows are
    in, before the client builds the plain ones: asked for after that build, it waited for a
    connection behind the light queries the connections had taken meanwhile (0.5-0.6 s of a
    5,000-table read's wall time under load)."""
    from schema_audit.sources.live_pool import SharedSnapshotPool

    dsn = dsn_expr

    events: list[str] = []
    real_plain, real_plan_next, real_add = (
        live._plain_index,
        SharedSnapshotPool.plan_next,
        SharedSnapshotPool._add,
    )

    def plain_index(*args, **kwargs):  # type: ignore[no-untyped-def]
        events.append("plain index built")
        return real_plain(*args, **kwargs)

    def queued(planned) -> None:  # type: ignore[no-untyped-def]
        if any(p.what == "index definitions" for p in planned):
            events.append("index definitions queued")

    def plan_next(self, plan):  # type: ignore[no-untyped-def]
        queued(plan)
        return real_plan_next(self, plan)

    def add(self, planned):  # type: ignore[no-untyped-def]
        queued([planned])
        return real_add(self, planned)

    monkeypatch.setattr(live, "_plain_index", plain_index)
    monkeypatch.setattr(SharedSnapshotPool, "plan_next", plan_next)
    monkeypatch.setattr(SharedSnapshotPool, "_add", add)
    model = live.introspect(dsn, jobs=4)
    assert events.count("index definitions queued") == 1 and "plain index built" in events
    assert events.index("index definitions queued") < events.index("plain index built")
    assert to_json(model) == to_json(live.introspect(dsn, jobs=1))
