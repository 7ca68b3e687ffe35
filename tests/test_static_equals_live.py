"""The static sources build the model the live catalog shows, object by object.

For the B0.3 history read three ways (Alembic files, a pg_dump of the migrated
database, a folder of plain SQL migrations) and for the rich Alembic fixture,
the static model is diffed against the model read live after the same history
ran on a real PostgreSQL. Any difference is printed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from b03 import FIXTURE, SPEC, upgrade_b03

from schema_audit.api import audit_model
from schema_audit.audit.undecided import compare_models
from schema_audit.demo import upgrade_alembic
from schema_audit.sources import live
from schema_audit.sources.alembic import model_from_history, render_history
from schema_audit.sources.scratch_cluster import find_bindir
from schema_audit.sources.sqlfile import load_sql
from schema_audit.spec.load import load_spec

RICH = Path(__file__).resolve().parent / "fixtures" / "alembic_rich"


@pytest.fixture(scope="module")
def b03_live(pg_server):  # type: ignore[no-untyped-def]
    name, dsn = pg_server.create_database("b03static")
    upgrade_b03(dsn)
    model = live.introspect(dsn)
    del model.tables["public.alembic_version"]  # Alembic's bookkeeping, not part of the schema
    yield dsn, model
    pg_server.drop_database(name)


def _live_and_dump(pg_server, tmp_path: Path, prefix: str, *statements: str):  # type: ignore[no-untyped-def]
    """Run ``statements`` in a fresh database; its live model and a pg_dump --schema-only of it."""
    import psycopg

    name, dsn = pg_server.create_database(prefix)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)
        live_model = live.introspect(dsn)
        pg_dump = shutil.which("pg_dump") or str(find_bindir() / "pg_dump")
        dump = tmp_path / "schema.sql"
        subprocess.run([pg_dump, "--schema-only", "-d", dsn, "-f", str(dump)], check=True)
    finally:
        pg_server.drop_database(name)
    return live_model, dump


# b03's materialized view: PostgreSQL stores `COALESCE(sum(…), 0::bigint)::numeric / 100.0`,
# casts it adds by itself, which the migration's text does not show: the static reading
# cannot tell them from casts someone wrote, so `diff` holds that query undecided
B03_CASTS_ADDED = ["materialized view public.mv_realtime_revenue"]


def assert_same(live_model, static_model, casts_added=()) -> None:  # type: ignore[no-untyped-def]
    """No difference; a view query differing only in casts is undecided (``casts_added``)."""
    compared = compare_models(live_model, static_model)
    differences = [str(d) for d in compared.differences]
    assert differences == [], "static model differs from live:\n" + "\n".join(differences)
    undecided = [(u.difference.object, u.difference.property) for u in compared.undecided]
    assert undecided == [(name, "query") for name in casts_added]
    assert all("differ only in casts" in u.reason for u in compared.undecided)


def test_alembic_history_equals_live_catalog(b03_live) -> None:  # type: ignore[no-untyped-def]
    _, live_model = b03_live
    static = model_from_history(render_history(FIXTURE))
    assert_same(live_model, static, B03_CASTS_ADDED)
    assert len(static.revisions) == 15


def test_pg_dump_schema_only_equals_live_catalog(b03_live, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn, live_model = b03_live
    pg_dump = shutil.which("pg_dump") or str(find_bindir() / "pg_dump")
    dump = tmp_path / "schema.sql"
    subprocess.run([pg_dump, "--schema-only", "-d", dsn, "-f", str(dump)], check=True)
    static = load_sql(dump)
    del static.tables["public.alembic_version"]
    assert_same(live_model, static)
    assert static.unapplied == []


def test_plain_sql_migration_folder_equals_live_catalog(b03_live, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The same history as Flyway-style files V1__…V15__ (V10 must sort after V9)."""
    _, live_model = b03_live
    folder = tmp_path / "migrations"
    folder.mkdir()
    for number, revision in enumerate(render_history(FIXTURE).revisions, start=1):
        body = ";\n\n".join(s.sql for s in revision.statements)
        (folder / f"V{number}__{Path(revision.file).stem}.sql").write_text(
            body + (";\n" if body else "")
        )
    static = load_sql(folder)
    assert [r.revision for r in static.revisions][:3] == ["V1", "V2", "V3"]
    assert [r.revision for r in static.revisions][-1] == "V15"
    assert_same(live_model, static, B03_CASTS_ADDED)


def test_static_audit_gives_the_live_statuses_and_cites_file_and_line(b03_live) -> None:  # type: ignore[no-untyped-def]
    dsn, _ = b03_live
    spec = load_spec(SPEC)
    live_result = audit_model(spec, live.introspect(dsn), "live", rules="none")
    history = render_history(FIXTURE)
    static_result = audit_model(spec, model_from_history(history), "alembic", rules="none")
    live_status = {f.id: f.status for f in live_result.findings}
    mismatched = {
        f.id: (live_status[f.id], f.status)
        for f in static_result.findings
        if f.status != live_status[f.id] and f.status != "DEFERRED"
    }
    assert mismatched == {}
    for f in static_result.findings:
        if f.status == "FAIL":
            cited = [e for e in f.evidence if e.file and (e.line or e.revision)]
            assert cited, f"{f.id} cites no migration file and line (or revision)"
            assert all(e.file.startswith("b03_alembic/versions/2025") for e in cited)
    session = static_result.finding("tables.attribution_events.columns.session_id")
    assert (session.evidence[0].file, session.evidence[0].line) == (
        "b03_alembic/versions/202511131115_add_core_tables.py",
        77,
    )
    fk = static_result.finding("tables.attribution_allocations.foreign_keys.event_id")
    assert fk.evidence[0].line == 153 and fk.evidence[0].revision == "202511131115"


def test_rich_alembic_fixture_equals_live_do_block_included(pg_server) -> None:  # type: ignore[no-untyped-def]
    name, dsn = pg_server.create_database("rich")
    try:
        upgrade_alembic(RICH, dsn)
        live_model = live.introspect(dsn)
    finally:
        pg_server.drop_database(name)
    del live_model.tables["public.alembic_version"]
    static = model_from_history(render_history(RICH))
    # RLS on orders is enabled inside a DO block (EXECUTE format('… %I …', 'orders')): the
    # block is interpreted (issue 13), so the static model is the live one.
    assert_same(live_model, static)
    assert static.tables["public.orders"].rls_enabled
    assert [u for u in static.unapplied if u.kind == "dynamic"] == []
    [block] = static.dynamic_blocks
    assert (block.file, block.line, block.applied) == (
        "alembic_rich/versions/r003a_audit_branch.py",
        29,
        True,
    )
    assert block.executed == ["ALTER TABLE orders ENABLE ROW LEVEL SECURITY"]


PRIVILEGES = """
CREATE SCHEMA ledger;
GRANT USAGE ON SCHEMA ledger TO sel_app_rw;
REVOKE USAGE ON SCHEMA public FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA ledger GRANT SELECT, UPDATE ON TABLES TO sel_app_rw;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES GRANT USAGE ON SEQUENCES TO sel_app_ro;
CREATE TABLE ledger.entries (id serial PRIMARY KEY, amount integer, note text);
GRANT UPDATE (note) ON ledger.entries TO sel_clerk;
REVOKE UPDATE ON ledger.entries FROM sel_app_rw;
CREATE FUNCTION ledger.post(amount integer) RETURNS integer LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog AS 'SELECT 1';
GRANT EXECUTE ON FUNCTION ledger.post(integer) TO sel_app_rw;
CREATE FUNCTION ledger.peek() RETURNS integer LANGUAGE sql AS 'SELECT 1';
ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
CREATE FUNCTION ledger.open() RETURNS integer LANGUAGE sql AS 'SELECT 1';
CREATE SEQUENCE ledger.numbers;
GRANT UPDATE ON SEQUENCE ledger.numbers TO sel_app_rw;
"""


def test_privileges_schema_usage_default_privileges_and_execute_equal_live(
    pg_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Schema USAGE, column grants, sequence and function privileges, default privileges: the same
    read from SQL, from a pg_dump of the database, and from the catalog."""

    from schema_audit.sources.ddl import interpret

    roles = [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{r}') THEN CREATE ROLE {r}; END IF; END $$"
        for r in ("sel_app_rw", "sel_app_ro", "sel_clerk")  # roles are cluster-wide: kept
    ]
    live_model, dump = _live_and_dump(pg_server, tmp_path, "privileges", *roles, PRIVILEGES)
    static = interpret(PRIVILEGES)
    assert_same(live_model, static)
    assert_same(live_model, load_sql(dump))
    # and the facts themselves, so equal-but-empty models cannot pass
    assert [(g.grantee, g.privilege) for g in static.schema_grants["ledger"]] == [
        ("sel_app_rw", "USAGE")
    ]
    assert static.schema_grants["public"] == []
    entries = static.tables["ledger.entries"]
    assert sorted((g.grantee, g.privilege) for g in entries.grants) == [("sel_app_rw", "SELECT")]
    assert [(g.grantee, g.privilege) for g in entries.column_grants["note"]] == [
        ("sel_clerk", "UPDATE")
    ]
    assert [(g.grantee, g.privilege) for g in static.sequences["ledger.entries_id_seq"].grants] == [
        ("sel_app_ro", "USAGE")
    ]
    functions = {
        k: sorted((g.grantee, g.privilege) for g in f.grants) for k, f in static.functions.items()
    }
    assert functions == {
        "ledger.post(amount integer)": [("sel_app_rw", "EXECUTE")],
        "ledger.peek()": [],
        "ledger.open()": [("public", "EXECUTE")],
    }
    assert {
        (d.schema, d.object_type, d.grantee, d.privilege) for d in static.default_privileges
    } == {
        ("ledger", "tables", "sel_app_rw", "SELECT"),
        ("ledger", "tables", "sel_app_rw", "UPDATE"),
        (None, "sequences", "sel_app_ro", "USAGE"),
    }


def test_partitions_like_inherits_and_exclusion_constraints_equal_live(
    pg_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """What PostgreSQL does implicitly — cloning a partitioned table's primary key, indexes and
    foreign keys into each partition (at CREATE … PARTITION OF, ATTACH PARTITION and later
    ALTER TABLE / CREATE INDEX on the parent), copying columns for LIKE and INHERITS, naming an
    exclusion constraint after its columns — the static model does too, from SQL and from pg_dump."""

    from schema_audit.sources.ddl import interpret

    sql = (Path(__file__).parent / "fixtures" / "rich_schema.sql").read_text()
    # after the fact: an index on the partitioned parent reaches both partitions
    later = "CREATE INDEX events_status ON app.events (status)"
    live_model, dump = _live_and_dump(pg_server, tmp_path, "rich", sql, later)
    static = interpret(sql + "\nCREATE INDEX events_status ON app.events (status);")
    assert_same(live_model, static)
    from_dump = load_sql(dump)
    assert_same(live_model, from_dump)
    for model in (static, from_dump):
        partition = model.tables["app.events_2026"]
        assert partition.primary_key and partition.primary_key.name == "events_2026_pkey"
        assert "events_tenant_id_fkey" in partition.foreign_keys
        assert {"events_2026_status_idx", "events_2026_tenant_id_occurred_at_status_idx"} <= set(
            partition.indexes
        )
        assert list(model.tables["app.child"].columns) == [
            "id",
            "name",
            "slug",
            "logged_at",
            "extra",
        ]
        assert "bookings_room_during_excl" in model.tables["app.bookings"].indexes
        # (domains are modelled: app.positive is compared with the catalog's above)
        assert sorted(u.reason.split()[0] for u in model.unapplied) == ["CompositeTypeStmt"]
        assert model.domains["app.positive"].checks == {"positive_check": "CHECK (value > 0)"}


CONSTRAINT_NAMES = """
CREATE TABLE cn_a (
    id int PRIMARY KEY, x int, y int, z int,
    UNIQUE (id),
    CONSTRAINT cn_a_x_y UNIQUE (x, y),
    UNIQUE (x, y),
    UNIQUE (y, x),
    b int CHECK (b > x),
    c int CHECK (c > 0),
    CHECK (y > z)
);
CREATE TABLE cn_b (id int, CONSTRAINT cn_b_named UNIQUE (id), PRIMARY KEY (id));
"""


def test_create_table_constraint_names_and_redundant_uniques_equal_live(
    pg_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Seen on real drizzle and Supabase histories (issue 13): a column CHECK reading two columns
    is named <table>_check (PostgreSQL counts the expression's columns, not where it is written);
    a UNIQUE repeating the primary key or an earlier UNIQUE in CREATE TABLE is not created, and an
    unnamed primary key takes the name of the UNIQUE it absorbed."""
    from schema_audit.sources.ddl import interpret

    live_model, dump = _live_and_dump(pg_server, tmp_path, "names", CONSTRAINT_NAMES)
    static = interpret(CONSTRAINT_NAMES)
    assert_same(live_model, static)
    assert_same(live_model, load_sql(dump))
    a, b = static.tables["public.cn_a"], static.tables["public.cn_b"]
    assert list(a.checks) == ["cn_a_check", "cn_a_c_check", "cn_a_check1"]
    assert sorted(a.uniques) == ["cn_a_x_y", "cn_a_y_x_key"]
    assert (b.primary_key.name, b.uniques) == ("cn_b_named", {})


# A foreign key into a partitioned table (PostgREST's fixtures): PostgreSQL adds, on the
# referencing table, one clone per referenced partition (`child_pid_region_fkey1`, `…2`),
# which pg_dump and psql's \d leave out; a partitioned referencing table's partition keeps its
# own copy (`log_2020`'s `log_pid_region_fkey`).
FK_INTO_PARTITIONS = """
CREATE TABLE parent (id int, region text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE parent_eu PARTITION OF parent FOR VALUES IN ('eu');
CREATE TABLE parent_us PARTITION OF parent FOR VALUES IN ('us');
CREATE TABLE child (id int PRIMARY KEY, pid int, region text,
                    FOREIGN KEY (pid, region) REFERENCES parent (id, region) ON DELETE CASCADE);
CREATE TABLE log (id int, pid int, region text, at date,
                  FOREIGN KEY (pid, region) REFERENCES parent (id, region)) PARTITION BY RANGE (at);
CREATE TABLE log_2020 PARTITION OF log FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
"""


def test_a_foreign_key_into_a_partitioned_table_equals_live(pg_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The live model listed the per-partition clones, so `exactly: [foreign_keys]` of
    init's spec from the database FAILed the history (false FAIL, 5 tables of PostgREST's
    fixtures) and `diff` counted them; now the catalog reads as the history does."""
    from schema_audit.sources.ddl import interpret

    live_model, dump = _live_and_dump(pg_server, tmp_path, "fkparts", FK_INTO_PARTITIONS)
    assert set(live_model.tables["public.child"].foreign_keys) == {"child_pid_region_fkey"}
    assert set(live_model.tables["public.log"].foreign_keys) == {"log_pid_region_fkey"}
    assert set(live_model.tables["public.log_2020"].foreign_keys) == {"log_pid_region_fkey"}
    assert_same(live_model, interpret(FK_INTO_PARTITIONS))
    assert_same(live_model, load_sql(dump))
