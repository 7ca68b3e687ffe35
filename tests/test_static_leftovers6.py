"""Static readings that differed from what PostgreSQL stores (or said less, or more, than it
could) after the same SQL: the sixth session's static/replay leftovers.

Each script is written in the style of the history that showed it; each test applies it to
a real database and compares `diff` of the static reading with the catalog.
"""

from __future__ import annotations

import contextlib

import psycopg

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret
from schema_audit.sources.statements import split_statements


def _differences(make_db, script: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Apply ``script`` statement by statement as ``psql -f`` does (a refused statement
    changes nothing, the next ones run), then diff the catalog with the static reading."""
    dsn = make_db("s6")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for stmt in split_statements(script):
            with contextlib.suppress(psycopg.Error):
                conn.execute(stmt.sql)
    return [str(d) for d in diff_models(live.introspect(dsn), interpret(script))]


# An audit log split by year the pre-10 way (INHERITS), then widened and tuned on the parent.
INHERITS_HISTORY = """
    CREATE TABLE audit_log (
        id bigint NOT NULL,
        logged_at timestamptz NOT NULL,
        payload text,
        actor int,
        legacy int,
        CONSTRAINT audit_log_actor_check CHECK (actor > 0),
        CONSTRAINT audit_log_root_only CHECK (id > 0) NO INHERIT
    );
    CREATE TABLE audit_log_2019 (payload text, note text) INHERITS (audit_log);
    CREATE TABLE audit_log_2019_q1 () INHERITS (audit_log_2019);
    ALTER TABLE audit_log ALTER COLUMN payload SET STORAGE EXTERNAL;
    ALTER TABLE audit_log ALTER COLUMN actor SET STATISTICS 500;
    ALTER TABLE ONLY audit_log ALTER COLUMN id SET STATISTICS 300;
    ALTER TABLE audit_log ALTER COLUMN payload SET COMPRESSION pglz;
    ALTER TABLE audit_log ADD COLUMN source text DEFAULT 'web' CHECK (source <> '');
    ALTER TABLE ONLY audit_log ALTER COLUMN source SET DEFAULT 'api';
    ALTER TABLE audit_log ALTER COLUMN actor SET NOT NULL;
    ALTER TABLE audit_log ALTER COLUMN actor TYPE bigint;
    ALTER TABLE audit_log ADD CONSTRAINT audit_log_recent CHECK (id < 1000000);
    ALTER TABLE audit_log RENAME COLUMN actor TO actor_id;
    ALTER TABLE audit_log DROP COLUMN payload;
    ALTER TABLE audit_log DROP COLUMN legacy;
    ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_check;
    CREATE TABLE audit_log_2020 (
        id bigint NOT NULL, logged_at timestamptz NOT NULL, actor_id bigint NOT NULL, source text,
        CONSTRAINT audit_log_recent CHECK (id < 1000000),
        CONSTRAINT audit_log_source_check CHECK (source <> '')
    );
    ALTER TABLE audit_log_2020 INHERIT audit_log;
    ALTER TABLE audit_log ALTER COLUMN source SET NOT NULL;
    ALTER TABLE audit_log_2020 NO INHERIT audit_log;
    ALTER TABLE audit_log ALTER COLUMN source DROP NOT NULL;
"""


def test_alter_table_on_an_inherits_parent_reaches_its_children(make_db) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL recurses an ALTER TABLE on an inheritance parent into every child (unless
    ONLY): SET STORAGE / STATISTICS, ADD COLUMN with its CHECK, SET DEFAULT, SET NOT NULL,
    TYPE, an inheritable CHECK, RENAME COLUMN, and DROP COLUMN / CONSTRAINT of what the child
    only inherited (its own restated `payload` stays). SET COMPRESSION and NO INHERIT checks
    stay on the parent. Statically the children kept their first columns (a false verdict
    either way on every child)."""
    assert _differences(make_db, INHERITS_HISTORY) == []
    static = interpret(INHERITS_HISTORY)
    q1 = static.tables["public.audit_log_2019_q1"]
    assert q1.columns["actor_id"].settings == {"statistics": 500}
    assert "payload" in q1.columns and "legacy" not in q1.columns
    assert "audit_log_root_only" not in q1.checks
    assert not static.tables["public.audit_log_2020"].columns["source"].nullable
    assert not static.unapplied


def test_drop_of_an_inherits_parent_needs_cascade(make_db) -> None:  # type: ignore[no-untyped-def]
    """DROP TABLE of a parent with inheritance children is refused without CASCADE (the
    statement changes nothing), and with CASCADE takes the children along."""
    script = """
        CREATE TABLE measurement (city_id int, logdate date);
        CREATE TABLE measurement_y2006 () INHERITS (measurement);
        CREATE TABLE events (id int);
        CREATE TABLE events_old () INHERITS (events);
        CREATE TABLE events_older () INHERITS (events_old);
        DROP TABLE measurement;
        DROP TABLE events CASCADE;
    """
    assert _differences(make_db, script) == []
    static = interpret(script)
    assert [(u.line, u.kind) for u in static.unapplied] == [(7, "error")]
    assert "public.events_older" not in static.tables
