"""Real-world trial (eighteenth session, trial17): static reading == catalog on projects' own forms.

Fixtures are written here in each project's style; no project file is copied. Each test applies
its SQL to a real database and compares what the tool says of the static reading of the same SQL
with what the catalog says."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cli_runner import run_cli
from history_paths import audit_statuses
from test_realworld_trial15 import _both_ways


def _sqlx_folder(tmp_path: Path, files: dict[str, str], under: str = "migrations") -> Path:
    """``files`` (file name without .sql -> SQL) as a folder of plain files: sqlx's
    ``<version>_<name>.sql``, Flyway's ``V<version>__<name>.sql``."""
    folder = tmp_path / under
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.sql").write_text(text)
    return folder


# lakekeeper's form (sqlx): an `updated_at` trigger guarded by a whole-row comparison, made
# by a helper's EXECUTE format(…) for most tables and written out for the newer ones.
WHOLE_ROW_WHEN = {
    "01_setup": """
        create or replace function set_updated_at() returns trigger as $$ begin NEW.updated_at = now();
        return NEW;
        end;
        $$ language plpgsql;
        create or replace function trigger_updated_at(tablename regclass) returns void as $$ begin execute format(
                'CREATE TRIGGER set_updated_at
                BEFORE UPDATE
                ON %s
                FOR EACH ROW
                WHEN (OLD is distinct from NEW)
            EXECUTE FUNCTION set_updated_at();',
                tablename
            );
        end;
        $$ language plpgsql;
        create table warehouse (
            warehouse_id uuid primary key,
            warehouse_name text not null,
            updated_at timestamptz
        );
        select trigger_updated_at('"warehouse"');
    """,
    "20260720000000_tags": """
        CREATE TABLE tag (
            tag_id uuid PRIMARY KEY,
            name text NOT NULL,
            updated_at timestamptz
        );
        CREATE TRIGGER set_updated_at
            BEFORE UPDATE ON tag
            FOR EACH ROW
            WHEN (OLD IS DISTINCT FROM NEW)
            EXECUTE FUNCTION set_updated_at();
        CREATE TRIGGER set_updated_at_named
            BEFORE UPDATE ON tag
            FOR EACH ROW
            WHEN ((old).name IS DISTINCT FROM (new).name AND row_to_json(old)::text <> '{}')
            EXECUTE FUNCTION set_updated_at();
        CREATE TABLE tag_stats (
            tag_id uuid PRIMARY KEY,
            hits int NOT NULL,
            doubled int GENERATED ALWAYS AS (hits * 2) STORED,
            updated_at timestamptz
        );
        CREATE TRIGGER stats_changed AFTER UPDATE ON tag_stats FOR EACH ROW
            WHEN (OLD IS DISTINCT FROM NEW AND NEW.xmin <> OLD.xmin) EXECUTE FUNCTION set_updated_at();
        CREATE TRIGGER stats_touched BEFORE UPDATE ON tag_stats FOR EACH ROW
            WHEN (OLD.doubled > 0 AND OLD.tableoid IS NOT NULL AND OLD.xmin = OLD.xmin) EXECUTE FUNCTION set_updated_at();
    """,
}


def test_a_whole_row_old_new_in_a_trigger_when_is_printed_as_the_catalog_prints_it(
    make_db: Any, tmp_path: Path
) -> None:
    """`WHEN (OLD IS DISTINCT FROM NEW)` is stored `(old.* IS DISTINCT FROM new.*)` and
    `(old).name` is stored `old.name`: the static condition kept `old IS DISTINCT FROM new`,
    so init --dsn's spec FAILed the history on every such trigger (37 on lakekeeper) and
    `diff` listed each one. Found on lakekeeper/lakekeeper."""
    folder = _sqlx_folder(tmp_path, WHOLE_ROW_WHEN)
    sql = "".join(WHOLE_ROW_WHEN.values())
    assert _both_ways(make_db, tmp_path, "trial17_whole_row_when", folder, sql) == []


# Conditions PostgreSQL 15 refuses: only old and new name anything in a WHEN condition.
REFUSED_WHEN = {
    "ambiguous": "BEFORE UPDATE ON tag FOR EACH ROW WHEN (name IS NULL)",
    "unknown_bare": "BEFORE UPDATE ON tag FOR EACH ROW WHEN (label IS NULL)",
    "unknown_column": "BEFORE UPDATE ON tag FOR EACH ROW WHEN (old.label IS NULL)",
    "old_on_insert": "BEFORE INSERT ON tag FOR EACH ROW WHEN (OLD IS NOT NULL)",
    "new_on_delete": "BEFORE DELETE ON tag FOR EACH ROW WHEN (new.name IS NULL)",
    "statement": "AFTER UPDATE ON tag FOR EACH STATEMENT WHEN (old.name IS NULL)",
    "new_system_before": "BEFORE UPDATE ON tag FOR EACH ROW WHEN (NEW.xmin <> OLD.xmin)",
    "new_generated_before": "BEFORE UPDATE ON tag FOR EACH ROW WHEN (NEW.slug <> '')",
    "new_whole_row_generated": "BEFORE UPDATE ON tag FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW)",
    "subquery": "BEFORE UPDATE ON tag FOR EACH ROW WHEN (NEW.name IN (SELECT 'x'))",
    "row_expansion": "BEFORE UPDATE ON tag FOR EACH ROW WHEN ((OLD).* IS DISTINCT FROM (NEW).*)",
}
TAG_TABLE = """
    CREATE TABLE tag (
        tag_id uuid PRIMARY KEY,
        name text NOT NULL,
        slug text GENERATED ALWAYS AS (lower(name)) STORED,
        updated_at timestamptz
    );
    CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql
        AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END $$;
"""


@pytest.mark.parametrize("name", sorted(REFUSED_WHEN))
def test_a_trigger_when_postgresql_refuses_is_not_made(
    make_db: Any, tmp_path: Path, name: str
) -> None:
    """Each of these CREATE TRIGGERs is refused by PostgreSQL; the static reading made the
    trigger, so a spec requiring it PASSed the history (false PASS). It is now named as not
    applied, and the spec's trigger is not PASS."""
    statement = f"CREATE TRIGGER t_{name} {REFUSED_WHEN[name]} EXECUTE FUNCTION set_updated_at();"
    dsn = make_db("trial17_refused_when", TAG_TABLE)
    with psycopg.connect(dsn, autocommit=True) as conn, pytest.raises(psycopg.Error) as refused:
        conn.execute(statement)
    folder = _sqlx_folder(tmp_path, {"01_setup": TAG_TABLE, "02_trigger": statement})
    model = json.loads(run_cli("inspect", "--sql", folder).stdout)["model"]
    assert f"t_{name}" not in model["tables"]["public.tag"]["triggers"]
    reasons = [u["reason"] for u in model["unapplied"] if "02_trigger" in u["file"]]
    assert reasons == [refused.value.diag.message_primary]


# lakekeeper's form (sqlx): a PL/pgSQL procedure adds the time columns, and every new table is
# followed by `call add_time_columns('<table>')`.
TIME_COLUMNS_PROCEDURE = {
    "20240620151429_timecolumns": """
        create or replace procedure add_time_columns(tablename regclass)
            language plpgsql
        as
        $$
        begin
            execute format(
                    'alter table %s
                    add column if not exists created_at timestamptz not null default now(),
                    add column if not exists updated_at timestamptz;',
                    tablename
                    );
        end;
        $$;
    """,
    "20240620151514_tabular_identifiers": """
        create table tabular (tabular_id uuid primary key, name text not null);
        call add_time_columns('tabular');
        create table "view" (view_id uuid primary key references tabular (tabular_id));
        call add_time_columns('"view"');
    """,
}


def test_a_call_of_the_historys_procedure_runs_its_body(make_db: Any, tmp_path: Path) -> None:
    """`call add_time_columns('tabular')` was "CallStmt is not interpreted": the columns it
    adds were missing statically, and every finding on such tables DEFERRED (891 of 1,154 on
    lakekeeper); init --sql's spec lacked the columns (its `exactly` FAILed the database).
    The body now runs with its argument bound, as a lone SELECT of a function does."""
    folder = _sqlx_folder(tmp_path, TIME_COLUMNS_PROCEDURE)
    sql = "".join(TIME_COLUMNS_PROCEDURE.values())
    assert _both_ways(make_db, tmp_path, "trial17_call_procedure", folder, sql) == []


UNRUN_CALLS = {
    "01_setup": """
        create table tabular (tabular_id uuid primary key);
        create procedure add_time_columns(tablename regclass, stamp text default 'created_at')
            language plpgsql
        as $$ begin
            execute format('alter table %s add column if not exists created_at timestamptz', tablename);
        end $$;
        create procedure vacuum_later() language plpgsql as $$ begin perform 1; end $$;
    """,
    "02_calls": """
        call add_time_columns('tabular');
        call vacuum_later();
    """,
}


def test_a_call_the_reader_cannot_run_defers_what_the_procedure_may_change(
    make_db: Any, tmp_path: Path
) -> None:
    """A procedure with a defaulted parameter is not run statically: the CALL is listed as
    not applied with what its body may change, so the column is DEFERRED, not missing. A
    CALL of a procedure whose body changes no schema changes nothing."""
    folder = _sqlx_folder(tmp_path, UNRUN_CALLS)
    dsn = make_db("trial17_unrun_call", "".join(UNRUN_CALLS.values()))
    diff = json.loads(run_cli("diff", folder, dsn, "-f", "json").stdout)
    assert diff["differences"] == []
    assert {u["object"] for u in diff["undecided"]} == {"column public.tabular.created_at"}
    reasons = [u["reason"] for u in diff["left"]["unapplied_statements"]]
    assert any("CALL calls public.add_time_columns(" in r for r in reasons)
    assert not any("not interpreted" in r for r in reasons)


def _sql_migrate_folder(tmp_path: Path, files: dict[str, str]) -> Path:
    """``files`` (unix-time name -> Up SQL) as a sql-migrate folder (`-- +migrate Up`)."""
    folder = tmp_path / "sql"
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.sql").write_text(f"-- +migrate Up\n{text}\n-- +migrate Down\n")
    return folder


# convoy's form (sql-migrate): a duration helper whose argument defaults to '10s', interval
# columns with glued units, and an index on ((status)) that keeps one running row.
CONVOY_DURATIONS = {
    "1705562731": """
        SET lock_timeout = '2s';
        SET statement_timeout = '30s';
        -- +migrate StatementBegin
        CREATE OR REPLACE FUNCTION duration_to_seconds(duration_text interval default '10s') RETURNS INTEGER AS $$
        BEGIN
            RETURN EXTRACT(EPOCH FROM duration_text)::INTEGER;
        END;
        $$ LANGUAGE plpgsql;
        -- +migrate StatementEnd
    """,
    "1786632919": """
        CREATE TABLE partition_runs (
            id VARCHAR PRIMARY KEY,
            status TEXT NOT NULL,
            retry_after INTERVAL NOT NULL DEFAULT '1h30m',
            lease INTERVAL DEFAULT '1.5h',
            keep INTERVAL DEFAULT '3 days 4h',
            poll INTERVAL DEFAULT '250ms',
            grace INTERVAL DEFAULT '1d12h',
            backoff INTERVAL DEFAULT '5min',
            ttl INTERVAL DEFAULT '1y2mon',
            nap INTERVAL DEFAULT '1m',
            attempts INT NOT NULL DEFAULT 0
        );
        CREATE UNIQUE INDEX IF NOT EXISTS idx_partition_runs_single_active
            ON partition_runs ((status))
            WHERE status = 'running';
        CREATE INDEX ON partition_runs ((status), (lower(id)));
        CREATE INDEX ON partition_runs ((status COLLATE "C"));
        CREATE INDEX idx_partition_runs_retrying ON partition_runs ((status)) WHERE attempts > 2.5;
    """,
}


def test_glued_interval_units_and_a_parenthesised_column_key_read_as_stored(
    make_db: Any, tmp_path: Path
) -> None:
    """`interval default '10s'` is stored '00:00:10'::interval ('1h30m' as '01:30:00'): the
    static reading kept the spelling and FAILed init --dsn's spec (function defaults, column
    defaults). An index key `((status))` is stored as the column status, not an expression:
    `diff` listed it as different. Found on frain-dev/convoy."""
    folder = _sql_migrate_folder(tmp_path, CONVOY_DURATIONS)
    sql = "".join(CONVOY_DURATIONS.values()).replace("-- +migrate Statement", "-- ")
    assert _both_ways(make_db, tmp_path, "trial17_convoy_durations", folder, sql) == []


# kestra's form (Flyway): jsonb documents with generated columns read by path operators whose
# path is written with spaces, and a full-text column built from varchar casts.
KESTRA_GENERATED = {
    "V1_1__initial": """
        CREATE OR REPLACE FUNCTION FULLTEXT_INDEX(text) RETURNS tsvector
            AS 'SELECT TO_TSVECTOR(''simple'', $1)'
            LANGUAGE SQL IMMUTABLE;
        CREATE OR REPLACE FUNCTION STATE_FROMTEXT(text) RETURNS text
            AS 'SELECT upper($1)' LANGUAGE SQL IMMUTABLE;
        CREATE TABLE IF NOT EXISTS executions (
            key VARCHAR(250) NOT NULL PRIMARY KEY,
            value JSONB NOT NULL,
            state_current TEXT NOT NULL GENERATED ALWAYS AS (STATE_FROMTEXT(value #>> '{state, current}')) STORED,
            trigger_execution_id VARCHAR(150) GENERATED ALWAYS AS (value #>> '{trigger, variables, executionId}') STORED,
            labelled BOOLEAN GENERATED ALWAYS AS (value ?| '{labels, "tags"}') STORED,
            tidy JSONB GENERATED ALWAYS AS (value #- '{ state , histories }') STORED,
            fulltext TSVECTOR GENERATED ALWAYS AS (
                FULLTEXT_INDEX(CAST(value ->> 'namespace' AS varchar)) ||
                FULLTEXT_INDEX(COALESCE(CAST(value ->> 'taskId' AS varchar), ''))
            ) STORED
        );
    """,
}


def test_path_literals_and_varchar_relabels_in_generated_columns_read_as_stored(
    make_db: Any, tmp_path: Path
) -> None:
    """`value #>> '{state, current}'` is stored `(value #>> '{state,current}'::text[])`: the
    literal is a text[] whose input drops the spaces (also for `?|`, `#-`); and
    `f(COALESCE(CAST(x ->> 'k' AS varchar), ''))` for f(text) is stored with a cast to text. The
    static reading kept both as written: 13 false FAILs of init --dsn's spec on kestra-io/kestra
    (and the same in `diff`)."""
    folder = _sqlx_folder(tmp_path, KESTRA_GENERATED, "postgres")
    sql = "".join(KESTRA_GENERATED.values())
    assert _both_ways(make_db, tmp_path, "trial17_kestra_generated", folder, sql) == []


@pytest.mark.parametrize(
    ("quoted", "bare"),
    [('{"x,y"}', "{x,y}"), ('{"null"}', "{null}"), ('{""}', "{}"), ('{"a}"}', "{a}")],
)
def test_a_quoted_array_element_that_needs_its_quotes_keeps_them(
    make_db: Any, quoted: str, bare: str
) -> None:
    """Dropping the quotes of `"x,y"` would make one element two (and `"null"` a NULL): the
    two spellings are different arrays to PostgreSQL, so they must not compare equal."""
    from schema_audit.sqlnorm import canonical_expr

    dsn = make_db("trial17_quoted_elements")
    with psycopg.connect(dsn, autocommit=True) as conn:
        stored = conn.execute(
            "SELECT %s::text[] IS DISTINCT FROM %s::text[], %s::text[]::text",
            (quoted, bare, quoted),
        ).fetchone()
    assert stored is not None and stored[0] is True
    assert canonical_expr(f"j ?| '{quoted}'") != canonical_expr(f"j ?| '{bare}'")
    assert canonical_expr(f"j ?| '{quoted}'") == canonical_expr(f"(j ?| '{stored[1]}'::text[])")


def _diesel_folder(tmp_path: Path, files: dict[str, str]) -> Path:
    """``files`` (version_name -> up SQL) as a diesel migrations folder."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).mkdir()
        (folder / name / "up.sql").write_text(text)
        (folder / name / "down.sql").write_text("-- not reversible\n")
    return folder


# graph-node's form (diesel): meta views whose columns are scalar sub-selects over one table,
# the history's own or the catalog's (whose columns the reading does not know).
SUBSELECT_VIEWS = {
    "2020-07-31-162138_meta-views": """
        create schema info;
        create table deployment_schemas (id int primary key, subgraph text not null, name text);
        create table subgraph_deployment (id int primary key, failed boolean, synced boolean);
        create view info.subgraph_info as
        select ds.id AS schema_id,
               ds.subgraph,
               (select failed from subgraph_deployment where id = ds.id) as failed,
               (select count(*) from subgraph_deployment sd where sd.synced) as synced_count,
               (select max(d.id) from deployment_schemas d where d.subgraph = ds.subgraph) as latest,
               (select description from pg_description where description = ds.name limit 1) as note,
               (select count(*) from pg_description where description like 'graph%') as notes
          from deployment_schemas ds
         where ds.name is not null;
    """,
}


def test_a_sub_select_over_one_table_compares_with_its_qualified_columns(
    make_db: Any, tmp_path: Path
) -> None:
    """PostgreSQL prints a scalar sub-select's columns qualified, `( SELECT
    subgraph_deployment.failed FROM subgraph_deployment WHERE subgraph_deployment.id =
    ds.id)`; a migration writes them bare. Only a query without sub-selects lost the
    qualifier, so init --sql's spec FAILed the database ("query differs"; graph-node's
    info views). Each SELECT over one relation now drops that relation's name on its own
    columns (a bare name resolves to it first)."""
    folder = _diesel_folder(tmp_path, SUBSELECT_VIEWS)
    sql = "".join(SUBSELECT_VIEWS.values())
    assert _both_ways(make_db, tmp_path, "trial17_subselect_views", folder, sql) == []


def test_a_sub_selects_correlated_column_keeps_its_qualifier() -> None:
    """Inside a sub-select, the outer relation's column must keep its name: bare, it would
    resolve to the sub-select's own relation where that has a column of the same name."""
    from schema_audit.sqlnorm import canonical_query

    outer = "SELECT (SELECT count(*) FROM d WHERE d.subgraph = ds.subgraph) AS n FROM ds"
    inner = "SELECT (SELECT count(*) FROM d WHERE d.subgraph = subgraph) AS n FROM ds"
    assert canonical_query(outer) != canonical_query(inner)


OWN_SEARCH_PATH = """
    CREATE SCHEMA app;
    CREATE TABLE app.t (id int PRIMARY KEY);
    CREATE TABLE public.t (id int PRIMARY KEY);
    CREATE PROCEDURE drop_t() LANGUAGE plpgsql SET search_path = app AS $$ BEGIN DROP TABLE t; END $$;
    CALL drop_t();
"""


def test_a_call_of_a_procedure_with_its_own_search_path_is_not_judged(
    make_db: Any, tmp_path: Path
) -> None:
    """`SET search_path = app` decides which `t` the body drops (app.t, PostgreSQL 15); read
    through the caller's path, the body named public.t, and a spec requiring app.t PASSed
    (review18). Such a CALL stays not interpreted: app.t is not PASS."""
    dsn = make_db("trial17_own_path", OWN_SEARCH_PATH)
    with psycopg.connect(dsn) as conn:
        gone = conn.execute("SELECT to_regclass('app.t') IS NULL").fetchone()
    assert gone == (True,)
    folder = _sqlx_folder(tmp_path, {"01_setup": OWN_SEARCH_PATH})
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: own-path\ntables:\n  app.t:\n    columns:\n      id: {type: integer}\n")
    audit = json.loads(run_cli("audit", "-s", spec, "--sql", folder, "-f", "json").stdout)
    statuses = {f["id"]: f["status"] for f in audit["findings"]}
    assert statuses["tables.app.t"] != "PASS"


@pytest.mark.parametrize("spelling", ["1w2d", "1hr30min", "1ms5us", "1mons2d", "1day2hours"])
def test_a_glued_interval_postgresql_refuses_is_not_folded(make_db: Any, spelling: str) -> None:
    """Only d, h, m, s, y and mon may be followed by another glued number: PostgreSQL 15
    refuses '1w2d' as an interval, so it must not fold to 9 days and PASS a stated default
    (review18)."""
    from schema_audit.sqlnorm import _interval_parts

    dsn = make_db("trial17_glued_refused")
    with psycopg.connect(dsn) as conn, pytest.raises(psycopg.errors.InvalidDatetimeFormat):
        conn.execute("SELECT %s::interval", (spelling,))
    assert _interval_parts(spelling) is None


# a procedure / function whose body ends the transaction: inside a transaction block (or
# called from a SELECT) PostgreSQL 15 refuses the COMMIT ("invalid transaction termination")
# and what the body did before it, with the rest of the transaction, is undone
def _apply_as_psql(conn: psycopg.Connection[Any], sql: str) -> None:
    """``sql`` statement by statement on an autocommit connection, going on after a refused
    COMMIT in a body as `psql -f` does (the two tests below compare with what remains)."""
    for statement in sql.split(";\n"):
        if statement.strip():
            with contextlib.suppress(psycopg.errors.InvalidTransactionTermination):
                conn.execute(statement)


COMMITTING_BODIES = """\
CREATE TABLE a (id int);
CREATE PROCEDURE add_x() LANGUAGE plpgsql AS $$ BEGIN ALTER TABLE a ADD COLUMN x int; COMMIT; END $$;
CREATE FUNCTION add_y() RETURNS void LANGUAGE plpgsql AS $$ BEGIN ALTER TABLE a ADD COLUMN y int; COMMIT; END $$;
BEGIN;
CREATE TABLE keep (id int);
CALL add_x();
COMMIT;
SELECT add_y();
"""


def test_a_body_that_ends_the_transaction_is_not_run_as_if_it_could(
    make_db: Any, tmp_path: Path
) -> None:
    """review18: run statically, `CALL add_x()` inside BEGIN … COMMIT and `SELECT add_y()`
    added a.x, a.y and kept `keep` (PASS), where PostgreSQL 15 refuses both calls and rolls
    the transaction back. Such a call stays unjudged: none of the three is PASS."""
    dsn = make_db("trial17_committing")
    with psycopg.connect(dsn, autocommit=True) as conn:  # as psql -f: on after an error
        _apply_as_psql(conn, COMMITTING_BODIES)
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.execute("ROLLBACK")
        found = conn.execute(
            "SELECT to_regclass('keep') IS NULL, count(*) FROM pg_attribute"
            " WHERE attrelid = 'a'::regclass AND attname IN ('x', 'y')"
        ).fetchone()
    assert found == (True, 0)
    history = tmp_path / "history.sql"
    history.write_text(COMMITTING_BODIES)
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: committing\ntables:\n  keep: {}\n"
        "  a:\n    columns:\n      x: {type: integer}\n      y: {type: integer}\n"
    )
    statuses = audit_statuses(spec, history)
    assert statuses["tables.keep"] != "PASS"
    assert statuses["tables.a.columns.x"] != "PASS"
    assert statuses["tables.a.columns.y"] != "PASS"


COMMITTING_FUNCTION = """\
CREATE TABLE a (id int);
CREATE FUNCTION add_y() RETURNS void LANGUAGE plpgsql AS $$ BEGIN ALTER TABLE a ADD COLUMN y int; COMMIT; END $$;
SELECT add_y();
"""


def test_a_function_that_commits_is_not_run_as_if_it_could(make_db: Any, tmp_path: Path) -> None:
    """review18: a function's COMMIT is always refused by PostgreSQL 15 ("invalid transaction
    termination"), which undoes the ALTER before it; the static reading ran the body as a
    DO block's and a.y PASSed. Such a call is not run: a.y is not PASS."""
    dsn = make_db("trial17_committing_function")
    with psycopg.connect(dsn, autocommit=True) as conn:  # as psql -f: on after an error
        _apply_as_psql(conn, COMMITTING_FUNCTION)
        found = conn.execute(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'a'::regclass AND attname = 'y'"
        ).fetchone()
    assert found == (0,)
    history = tmp_path / "history.sql"
    history.write_text(COMMITTING_FUNCTION)
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: committing\ntables:\n  a:\n    columns:\n      y: {type: integer}\n")
    statuses = audit_statuses(spec, history)
    assert statuses["tables.a.columns.y"] != "PASS"
