"""Static readings that differed from what PostgreSQL stores after the same SQL (the last real-
world trial's leftovers: Lemmy's diesel history, goose, a BETWEEN with a numeric bound).

Each script is written in the style of the project that showed the difference; each test
applies it to a real database and compares `diff` of the static reading with the catalog.
"""

from __future__ import annotations

import psycopg

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret


def _differences(make_db, script: str) -> list[str]:  # type: ignore[no-untyped-def]
    dsn = make_db("lo", script)
    return [str(d) for d in diff_models(live.introspect(dsn), interpret(script))]


def test_enum_rename_value_follows_into_stored_expressions(make_db) -> None:  # type: ignore[no-untyped-def]
    """Lemmy renamed its enum labels (`ALTER TYPE registration_mode_enum RENAME VALUE
    'require_application' TO 'RequireApplication'`): PostgreSQL stores an enum constant by the
    label's OID, so the column default prints the new label. Statically the default kept the
    old one (a false FAIL of the static audit with the catalog's spec); CHECKs, index
    predicates, policies and trigger WHENs comparing a column of the type follow too, while a
    text column's default, a function body and another schema's enum keep the old text."""
    script = """
        CREATE TYPE registration_mode_enum AS ENUM ('closed', 'require_application', 'open', 'a b');
        CREATE SCHEMA other;
        CREATE TYPE other.registration_mode_enum AS ENUM ('require_application');
        CREATE TABLE local_site (
            id serial PRIMARY KEY,
            registration_mode registration_mode_enum DEFAULT 'require_application' NOT NULL,
            modes registration_mode_enum[] DEFAULT '{"a b",require_application}',
            listed registration_mode_enum[] DEFAULT ARRAY['require_application', 'open']::registration_mode_enum[],
            cast_mode registration_mode_enum DEFAULT 'require_application'::registration_mode_enum,
            elsewhere other.registration_mode_enum DEFAULT 'require_application',
            note text DEFAULT 'require_application',
            CONSTRAINT open_or_applied CHECK (registration_mode IN ('open', 'require_application')),
            CONSTRAINT any_mode CHECK (registration_mode = ANY ('{require_application,closed}')),
            CONSTRAINT note_check CHECK (note <> 'require_application')
        );
        CREATE INDEX idx_local_site_applying ON local_site (id)
            WHERE registration_mode = 'require_application';
        ALTER TABLE local_site ENABLE ROW LEVEL SECURITY;
        CREATE POLICY applying ON local_site USING ('require_application' = registration_mode);
        CREATE FUNCTION local_site_mode () RETURNS TRIGGER LANGUAGE plpgsql AS $$
        BEGIN
            RETURN NEW;
        END $$;
        CREATE TRIGGER local_site_mode BEFORE UPDATE ON local_site FOR EACH ROW
            WHEN (NEW.registration_mode = 'require_application')
            EXECUTE PROCEDURE local_site_mode ();
        ALTER TYPE registration_mode_enum RENAME VALUE 'require_application' TO 'RequireApplication';
        ALTER TYPE registration_mode_enum RENAME VALUE 'a b' TO 'a"b';
    """
    assert _differences(make_db, script) == []
    static = interpret(script)
    columns = static.tables["public.local_site"].columns
    assert "RequireApplication" in (columns["registration_mode"].default or "")
    assert columns["note"].default == "'require_application'"
    assert "require_application" in (columns["elsewhere"].default or "")
    assert not static.unapplied


def test_enum_rename_value_refused_as_postgresql_refuses_it() -> None:
    """A label that does not exist, or a new label already there: PostgreSQL refuses the
    statement; the static reading lists it as an error instead of renaming nothing."""
    static = interpret(
        "CREATE TYPE mode AS ENUM ('a', 'b');\n"
        "ALTER TYPE mode RENAME VALUE 'x' TO 'y';\n"
        "ALTER TYPE mode RENAME VALUE 'a' TO 'b';\n"
    )
    assert [(u.line, u.kind) for u in static.unapplied] == [(2, "error"), (3, "error")]
    assert static.enums["public.mode"].labels == ["a", "b"]


def test_function_rename_carries_its_triggers(make_db) -> None:  # type: ignore[no-untyped-def]
    """Lemmy renamed its aggregate trigger functions (`ALTER FUNCTION
    site_aggregates_user_delete () RENAME TO site_aggregates_person_delete`): statically the
    rename was not interpreted, so the old function stayed and the trigger named it (init from
    the history required a function the database no longer has, a false FAIL)."""
    script = """
        CREATE TABLE person (id serial PRIMARY KEY, name text NOT NULL);
        CREATE TABLE site_aggregates (id serial PRIMARY KEY, users bigint NOT NULL DEFAULT 1);
        CREATE SCHEMA utils;
        CREATE FUNCTION site_aggregates_user_delete ()
            RETURNS TRIGGER LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE site_aggregates SET users = users - 1;
            RETURN NULL;
        END $$;
        CREATE FUNCTION utils.person_touch () RETURNS TRIGGER LANGUAGE plpgsql
            AS $$ BEGIN RETURN NEW; END $$;
        CREATE FUNCTION utils.person_touch (integer) RETURNS integer LANGUAGE sql AS 'SELECT 1';
        CREATE TRIGGER site_aggregates_user_delete AFTER DELETE ON person FOR EACH ROW
            EXECUTE PROCEDURE site_aggregates_user_delete ();
        CREATE TRIGGER person_touch BEFORE UPDATE ON person FOR EACH ROW
            EXECUTE PROCEDURE utils.person_touch ();
        ALTER FUNCTION site_aggregates_user_delete () RENAME TO site_aggregates_person_delete;
        ALTER TRIGGER site_aggregates_user_delete ON person RENAME TO site_aggregates_person_delete;
        ALTER FUNCTION utils.person_touch () RENAME TO person_updated;
        ALTER FUNCTION utils.person_touch (integer) RENAME TO person_rank;
    """
    assert _differences(make_db, script) == []
    static = interpret(script)
    assert sorted(static.functions) == [
        "public.site_aggregates_person_delete()",
        "utils.person_rank(integer)",
        "utils.person_updated()",
    ]
    triggers = static.tables["public.person"].triggers
    assert triggers["person_touch"].function == "utils.person_updated"
    assert not static.unapplied


def test_alter_constraint_deferrability_applied(make_db) -> None:  # type: ignore[no-untyped-def]
    """Lemmy made foreign keys deferrable later (`ALTER TABLE … ALTER CONSTRAINT …
    DEFERRABLE INITIALLY DEFERRED`): statically nothing changed, and nothing said so. Each
    clause sets both flags as PostgreSQL's grammar does (INITIALLY DEFERRED alone is
    deferrable, INITIALLY IMMEDIATE alone is not), on a partitioned table's partitions too."""
    script = """
        CREATE TABLE person (id serial PRIMARY KEY);
        CREATE TABLE post (
            id serial PRIMARY KEY,
            creator_id int NOT NULL REFERENCES person ON UPDATE CASCADE ON DELETE CASCADE
        );
        CREATE TABLE comment (
            id serial PRIMARY KEY,
            post_id int REFERENCES post DEFERRABLE INITIALLY DEFERRED,
            creator_id int REFERENCES person DEFERRABLE INITIALLY DEFERRED,
            parent_id int REFERENCES comment
        );
        CREATE TABLE post_report (id int, post_id int REFERENCES post) PARTITION BY RANGE (id);
        CREATE TABLE post_report_1 PARTITION OF post_report FOR VALUES FROM (0) TO (100);
        ALTER TABLE post ALTER CONSTRAINT post_creator_id_fkey DEFERRABLE INITIALLY DEFERRED;
        ALTER TABLE comment ALTER CONSTRAINT comment_post_id_fkey NOT DEFERRABLE;
        ALTER TABLE comment ALTER CONSTRAINT comment_creator_id_fkey INITIALLY IMMEDIATE;
        ALTER TABLE comment ALTER CONSTRAINT comment_parent_id_fkey INITIALLY DEFERRED;
        ALTER TABLE post_report ALTER CONSTRAINT post_report_post_id_fkey DEFERRABLE;
    """
    assert _differences(make_db, script) == []
    static = interpret(script)
    fks = static.tables["public.comment"].foreign_keys
    assert (
        fks["comment_parent_id_fkey"].deferrable,
        fks["comment_parent_id_fkey"].initially_deferred,
    ) == (True, True)
    assert static.tables["public.post_report_1"].foreign_keys["post_report_post_id_fkey"].deferrable
    assert not static.unapplied
    refused = interpret(
        "CREATE TABLE t (id int PRIMARY KEY, n int CHECK (n > 0));\n"
        "ALTER TABLE t ALTER CONSTRAINT t_n_check DEFERRABLE;\n"
        "ALTER TABLE t ALTER CONSTRAINT nope DEFERRABLE;\n"
    )
    assert [(u.line, u.kind) for u in refused.unapplied] == [(2, "error"), (3, "error")]
    assert "not a foreign key constraint" in refused.unapplied[0].reason


def test_between_with_a_numeric_bound_promotes_as_postgresql_stores_it(make_db) -> None:  # type: ignore[no-untyped-def]
    """`i BETWEEN 1 AND 2.5` over an integer column is stored as the two comparisons, each
    promoted on its own: `((i >= 1) AND ((i)::numeric <= 2.5))`. The static reading kept the
    BETWEEN (whose canonical form has no cast), so CHECKs, generated columns and partial
    indexes of this shape differed from the catalog; BETWEEN SYMMETRIC differed even with
    integer bounds (stored as both orders)."""
    script = """
        CREATE TABLE rating (
            id int PRIMARY KEY,
            score int, weight numeric(5, 2), level smallint, total bigint, ratio float8,
            bucket numeric GENERATED ALWAYS AS (CASE WHEN score BETWEEN 1 AND 2.5 THEN 1 ELSE 0 END) STORED,
            CONSTRAINT score_range CHECK (score BETWEEN 1 AND 2.5),
            CONSTRAINT weight_range CHECK (weight BETWEEN 0 AND 100),
            CONSTRAINT level_range CHECK (level BETWEEN 0.5 AND 10),
            CONSTRAINT score_out CHECK (score NOT BETWEEN 1.5 AND 3),
            CONSTRAINT score_int CHECK (score BETWEEN 1 AND 10),
            CONSTRAINT total_sym CHECK (total BETWEEN SYMMETRIC 1 AND 2.5),
            CONSTRAINT score_sym CHECK (score BETWEEN SYMMETRIC 1 AND 10),
            CONSTRAINT score_not_sym CHECK (score NOT BETWEEN SYMMETRIC 1 AND 10.5),
            CONSTRAINT sum_range CHECK (score + 1 BETWEEN 0 AND 1.5),
            CONSTRAINT weight_by_score CHECK (weight BETWEEN score AND 10),
            CONSTRAINT nested CHECK ((score BETWEEN 0 AND 0.5) = false),
            CONSTRAINT ratio_range CHECK (ratio BETWEEN 0 AND 1.5)
        );
        CREATE INDEX rating_mid ON rating (id) WHERE score BETWEEN 1 AND 2.5;
        CREATE INDEX rating_level ON rating (id) WHERE level > 0.5;
        CREATE INDEX rating_scaled ON rating ((score * 1.5));
        ALTER TABLE rating ADD CONSTRAINT level_small CHECK (level BETWEEN 0 AND 1.5);
    """
    assert _differences(make_db, script) == []


GOOSE_INIT = """-- +goose Up
-- +goose StatementBegin
CREATE TABLE v1_events (
    tenant_id UUID NOT NULL,
    id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    CONSTRAINT v1_events_pkey PRIMARY KEY (tenant_id, id)
);
-- +goose StatementEnd

-- +goose Down
DROP TABLE v1_events;
"""

# hatchet's 20260119123835_v1_0_69.sql locks the table it changes, relying on goose's
# transaction around each file
GOOSE_LOCK = """-- +goose Up
-- +goose StatementBegin
LOCK TABLE v1_events IN ACCESS EXCLUSIVE MODE;
ALTER TABLE v1_events ADD COLUMN seen_at TIMESTAMPTZ;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE v1_events DROP COLUMN seen_at;
"""

GOOSE_CONCURRENTLY = """-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX CONCURRENTLY IF NOT EXISTS v1_events_kind_idx ON v1_events (kind);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS v1_events_kind_idx;
"""

GOOSE_BROKEN = """-- +goose Up
CREATE TABLE v1_alerts (id BIGINT PRIMARY KEY);
ALTER TABLE v1_events ADD COLUMN alert_id BIGINT REFERENCES v1_alertz (id);

-- +goose Down
DROP TABLE v1_alerts;
"""


def _replayed(pg_server, folder):  # type: ignore[no-untyped-def]
    """(the step that failed or None, the replayed database's model) of a replay of ``folder``."""
    from schema_audit.sources.replay import replay_sql, scratch_database

    with scratch_database(pg_server.admin_dsn) as scratch:
        replay_sql(folder, scratch)
        return scratch.failed, live.introspect(scratch.dsn)


def test_goose_files_replay_in_goose_transactions(pg_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """goose runs each file in one transaction unless it says `-- +goose NO TRANSACTION`. The
    replay ran every file statement by statement in autocommit (as psql -f), so hatchet's
    `LOCK TABLE` stopped it ("LOCK TABLE can only be used in transaction blocks": a false
    replay failure, every finding DEFERRED). A NO TRANSACTION file still runs outside one
    (CREATE INDEX CONCURRENTLY), and a file that fails leaves nothing behind, as with goose."""
    from schema_audit.sources.sqlfile import read_sql

    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "20240115180414_init.sql").write_text(GOOSE_INIT)
    (folder / "20260119123835_v1_0_69.sql").write_text(GOOSE_LOCK)
    (folder / "20260120090000_v1_0_70.sql").write_text(GOOSE_CONCURRENTLY)
    failed, model = _replayed(pg_server, folder)
    assert failed is None, failed
    assert [d for d in diff_models(model, read_sql(folder)[0])] == []
    assert "seen_at" in model.tables["public.v1_events"].columns

    (folder / "20260121090000_v1_0_71.sql").write_text(GOOSE_BROKEN)
    failed, model = _replayed(pg_server, folder)
    assert failed is not None and failed.where == "migrations/20260121090000_v1_0_71.sql:3"
    assert "public.v1_alerts" not in model.tables  # rolled back with its file


def test_dbmate_and_diesel_migrations_replay_in_their_transactions(pg_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """dbmate and diesel wrap each migration in a transaction too (opt-outs: dbmate's
    `-- migrate:up transaction:false`, diesel's `run_in_transaction = false` in
    metadata.toml); a replay without it stopped at `LOCK TABLE`."""
    dbmate = tmp_path / "db" / "migrations"
    dbmate.mkdir(parents=True)
    (dbmate / "20240101000000_create_posts.sql").write_text(
        "-- migrate:up\nCREATE TABLE posts (id bigint PRIMARY KEY, title text);\n"
        "-- migrate:down\nDROP TABLE posts;\n"
    )
    (dbmate / "20240102000000_lock_posts.sql").write_text(
        "-- migrate:up\nLOCK TABLE posts;\nALTER TABLE posts ADD COLUMN body text;\n\n"
        "-- migrate:down\nALTER TABLE posts DROP COLUMN body;\n"
    )
    (dbmate / "20240103000000_index_posts.sql").write_text(
        "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY posts_title ON posts (title);\n"
        "-- migrate:down\nDROP INDEX posts_title;\n"
    )
    failed, model = _replayed(pg_server, tmp_path / "db" / "migrations")
    assert failed is None, failed
    assert {"body", "title"} <= set(model.tables["public.posts"].columns)

    diesel = tmp_path / "lemmy" / "migrations"
    for name, up in (
        ("2019-02-26-002946_create_user", "CREATE TABLE user_ (id serial PRIMARY KEY, name text);"),
        (
            "2020-01-01-000000_lock_user",
            "LOCK TABLE user_;\nALTER TABLE user_ ADD COLUMN bio text;",
        ),
        (
            "2020-01-02-000000_user_index",
            "CREATE INDEX CONCURRENTLY idx_user_name ON user_ (name);",
        ),
    ):
        (diesel / name).mkdir(parents=True)
        (diesel / name / "up.sql").write_text(up + "\n")
        (diesel / name / "down.sql").write_text("SELECT 1;\n")
    (diesel / "2020-01-02-000000_user_index" / "metadata.toml").write_text(
        "run_in_transaction = false\n"
    )
    failed, model = _replayed(pg_server, tmp_path / "lemmy")
    assert failed is None, failed
    assert "bio" in model.tables["public.user_"].columns
    assert "idx_user_name" in model.tables["public.user_"].indexes


def test_alembic_replay_on_a_unix_socket_scratch_server(pg_server) -> None:  # type: ignore[no-untyped-def]
    """`--scratch-dsn "host=/var/run/postgresql"`: the SQLAlchemy URL handed to env.py put the
    socket directory in the URL's host part, which SQLAlchemy reads as part of the database
    name (`tmp/pg:5432/db`), so the connection guard refused env.py its own scratch database
    and every Alembic replay on a socket server failed (found replaying the fixtures)."""
    import os

    import psycopg
    import pytest
    from b03 import FIXTURE, SPEC
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from schema_audit.api import audit
    from schema_audit.spec.load import load_spec

    with psycopg.connect(pg_server.admin_dsn) as conn:
        directory = str(conn.execute("SHOW unix_socket_directories").fetchone()[0]).split(",")[0]
        port = conn.info.port
    if not os.path.exists(os.path.join(directory.strip(), f".s.PGSQL.{port}")):
        pytest.skip("the test server's Unix socket is not on this machine")
    params = conninfo_to_dict(pg_server.admin_dsn)
    params.update(host=directory.strip(), port=str(port))
    result = audit(
        load_spec(SPEC), migrations=FIXTURE, scratch_dsn=make_conninfo(**params), replay=True
    )
    failed = [f.message for f in result.findings if f.id.startswith("migrations.replay-failed")]
    assert failed == []
    assert result.finding("tables.tenants").status == "PASS"


def test_a_column_a_view_reads_keeps_its_type(make_db) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL refuses `ALTER COLUMN … TYPE` of a column a view or materialized view reads
    ("cannot alter type of a column used by a view or rule"); the static reading changed the
    type (found comparing `diff` over the repo's fixtures: lint_destructive). Run as `psql -f`
    runs it (each statement on its own, a refused one skipped), the catalog and the static
    reading agree; a column no view names, and a same-named column of another table a view
    reads qualified, still change."""
    import psycopg

    from schema_audit.sources.statements import split_statements

    script = """
        CREATE TABLE accounts (id int PRIMARY KEY, code varchar(50) NOT NULL, note text);
        CREATE TABLE orders (id int PRIMARY KEY, account_id int, code varchar(5), total int);
        CREATE VIEW account_codes AS SELECT code FROM accounts;
        CREATE MATERIALIZED VIEW order_totals AS
            SELECT o.account_id, sum(o.total) AS total, accounts.id FROM orders o
            JOIN accounts ON accounts.id = o.account_id GROUP BY o.account_id, accounts.id;
        ALTER TABLE accounts ALTER COLUMN code TYPE varchar(10);
        ALTER TABLE accounts ALTER COLUMN id TYPE bigint;
        ALTER TABLE accounts ALTER COLUMN note TYPE varchar(200);
        ALTER TABLE orders ALTER COLUMN code TYPE varchar(8);
    """
    dsn = make_db("lo")
    refused = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for stmt in split_statements(script):
            try:
                conn.execute(stmt.sql)
            except psycopg.errors.FeatureNotSupported:
                refused.append(stmt.line)
    static = interpret(script)
    assert [u.line for u in static.unapplied] == refused == [8, 9]
    assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []


def test_drops_take_what_postgresql_takes_along(make_db) -> None:  # type: ignore[no-untyped-def]
    """Lemmy's history, replayed (247 diesel migrations on PostgreSQL 15) and compared with
    its static reading: `DROP COLUMN email` left the expression index `lower(email)` behind
    statically (PostgreSQL drops an index whose expression or predicate reads the column),
    and `DROP VIEW user_view CASCADE` kept the materialized view built on it, so recreating
    it (and its index) was refused statically: 17 statements PostgreSQL ran were errors."""
    script = """
        CREATE TABLE user_ (
            id serial PRIMARY KEY,
            name varchar(20) NOT NULL,
            email text,
            deleted boolean DEFAULT FALSE NOT NULL
        );
        CREATE UNIQUE INDEX idx_user_email_lower ON user_ (lower(email));
        CREATE INDEX idx_user_name_live ON user_ (name) WHERE NOT deleted;
        CREATE VIEW user_view AS SELECT u.id, u.name FROM user_ u;
        CREATE MATERIALIZED VIEW user_mview AS SELECT id, name FROM user_view;
        CREATE UNIQUE INDEX idx_user_mview_id ON user_mview (id);
        CREATE VIEW user_mview_names AS SELECT name FROM user_mview;
        ALTER TABLE user_ DROP COLUMN email;
        ALTER TABLE user_ DROP COLUMN deleted;
        DROP VIEW user_view CASCADE;
        CREATE VIEW user_view AS SELECT u.id, u.name FROM user_ u;
        CREATE MATERIALIZED VIEW user_mview AS SELECT id, name FROM user_view;
        CREATE UNIQUE INDEX idx_user_mview_id ON user_mview (id);
    """
    assert _differences(make_db, script) == []
    static = interpret(script)
    assert not static.unapplied
    assert sorted(static.tables["public.user_"].indexes) == ["user__pkey"]
    assert sorted(static.views) == ["public.user_mview", "public.user_view"]


def test_policy_predicates_carry_the_numeric_casts_postgresql_stores(make_db) -> None:  # type: ignore[no-untyped-def]
    """An integer column meeting a numeric in a policy's USING or WITH CHECK is stored cast
    (``amount < 100.5`` is ``((amount)::numeric < 100.5)``), as in a CHECK; a static reading
    kept the text as written, so `diff` and a cross audit differed from the catalog. Both the
    plain-data reader (CREATE POLICY) and the tree handler (ALTER POLICY, subqueries) are
    covered; a predicate with a subquery stays as written where no numeric meets it."""
    script = """
        CREATE TABLE invoices (id int PRIMARY KEY, amount integer, price numeric(10, 2), owner text);
        ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
        CREATE POLICY small ON invoices USING (amount < 100.5);
        CREATE POLICY ranged ON invoices FOR SELECT USING (amount BETWEEN 1 AND 2.5);
        CREATE POLICY priced ON invoices FOR INSERT WITH CHECK (amount <= price);
        CREATE POLICY own ON invoices FOR UPDATE USING (owner = current_user)
            WITH CHECK (amount * 1.1 < 50);
        CREATE POLICY later ON invoices FOR DELETE USING (true);
        ALTER POLICY later ON invoices USING (amount > 0.5 AND owner = current_user);
        CREATE POLICY sub ON invoices FOR SELECT
            USING (id IN (SELECT i.id FROM invoices i WHERE i.amount > 3));
    """
    assert _differences(make_db, script) == []
    policies = interpret(script).tables["public.invoices"].policies
    assert "numeric" in (policies["small"].using or "")  # the plain-data reader declined
    assert "numeric" in (policies["later"].using or "")  # ALTER POLICY (tree handler)


def _applied_as_psql_f(
    dsn: str, script: str, refusal: type[Exception] = psycopg.errors.DependentObjectsStillExist
) -> list[int]:
    """Run ``script`` as `psql -f` runs it (each statement on its own, a refused one skipped)
    and give the lines PostgreSQL refused with ``refusal``."""
    from schema_audit.sources.statements import split_statements

    refused = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for stmt in split_statements(script):
            try:
                conn.execute(stmt.sql)
            except refusal:
                refused.append(stmt.line)
    return refused


def test_drop_without_cascade_refused_while_something_depends_on_it(make_db) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL refuses `DROP TABLE` / `VIEW` / `SEQUENCE` / `TYPE` / `FUNCTION` without
    CASCADE while another object depends on it (a view reading the table or view, another
    table's foreign key, a default calling nextval or the function, a column of the type, a
    view calling the function); the static reading dropped it anyway, so the objects the
    refused statement left were missing (a false FAIL). Several objects dropped in one
    statement may depend on each other; a table's partitions go with it."""
    script = """
        CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL);
        CREATE TABLE orders (id serial PRIMARY KEY, account_id int REFERENCES accounts, total int);
        CREATE TABLE notes (id int PRIMARY KEY, parent_id int REFERENCES notes);
        CREATE VIEW account_names AS SELECT id, name FROM accounts;
        CREATE VIEW account_initials AS SELECT left(name, 1) AS initial FROM account_names;
        CREATE SEQUENCE invoice_no;
        CREATE TYPE invoice_state AS ENUM ('draft', 'sent');
        CREATE TYPE money_pair AS (amount int, cents int);
        CREATE FUNCTION next_invoice_no() RETURNS bigint LANGUAGE sql AS $$ SELECT nextval('invoice_no') $$;
        CREATE FUNCTION cents(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 * 100';
        CREATE TABLE invoices (
            id bigint DEFAULT nextval('invoice_no'::regclass),
            nr bigint DEFAULT next_invoice_no(),
            state invoice_state[],
            pair money_pair,
            total int
        );
        CREATE VIEW invoice_cents AS SELECT cents(total) AS total_cents FROM invoices;
        CREATE TABLE events (id int, at int) PARTITION BY RANGE (at);
        CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (1) TO (10);
        DROP TABLE accounts;
        DROP VIEW account_names;
        DROP SEQUENCE invoice_no;
        DROP TYPE invoice_state;
        DROP TYPE money_pair;
        DROP FUNCTION next_invoice_no();
        DROP FUNCTION cents(int);
        DROP TABLE notes;
        DROP VIEW account_initials, account_names;
        DROP TABLE orders, accounts;
        DROP TABLE events;
    """
    dsn = make_db("lo")
    refused = _applied_as_psql_f(dsn, script)
    static = interpret(script)
    assert [u.line for u in static.unapplied if u.kind == "error"] == refused
    assert refused == [22, 23, 24, 25, 26, 27, 28]
    assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []


def test_drop_cascade_takes_the_defaults_and_users_along(make_db) -> None:  # type: ignore[no-untyped-def]
    """With CASCADE PostgreSQL drops what depends on the object: a sequence's nextval
    defaults (the columns stay), a function's defaults, CHECKs, expression indexes and the
    views calling it (and views on those). The static reading kept them: a false PASS of a
    default, check, index or view requirement."""
    script = """
        CREATE SEQUENCE order_no;
        CREATE TABLE bills (id int DEFAULT nextval('order_no'), n serial, note text);
        DROP SEQUENCE bills_n_seq CASCADE;
        DROP SEQUENCE order_no CASCADE;
        CREATE FUNCTION twice(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 * 2';
        CREATE TABLE calc (x int DEFAULT twice(2), y int CHECK (twice(y) > 0), z int);
        CREATE INDEX calc_twice ON calc (twice(x));
        CREATE INDEX calc_z ON calc (z) WHERE twice(z) > 4;
        CREATE VIEW calc_view AS SELECT twice(x) AS y FROM calc;
        CREATE VIEW calc_view_2 AS SELECT y FROM calc_view;
        CREATE VIEW calc_plain AS SELECT x FROM calc;
        DROP FUNCTION twice CASCADE;
    """
    assert _differences(make_db, script) == []
    static = interpret(script)
    assert not static.unapplied
    assert static.tables["public.bills"].columns["n"].default is None
    assert sorted(static.views) == ["public.calc_plain"]
    assert not static.tables["public.calc"].checks


def test_select_star_views_have_the_columns_postgresql_expanded(make_db) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL expands a view's `*` when it creates the view (a later `ADD COLUMN` does not
    reach it). The static view had one column `?column?`, so a view requirement naming its
    columns FAILed statically and `init --sql` wrote `?column?`. Expanded from the model's
    columns: tables, views, WITH queries, subqueries and VALUES with their aliases, joins
    `USING`/`NATURAL` (merged columns first); a `*` repeating a name is refused as PostgreSQL
    refuses it; a `*` over a function's columns is listed as not known (DEFERRED)."""
    script = """
        CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL, email text);
        CREATE TABLE orders (id serial PRIMARY KEY, account_id int, total int);
        CREATE TABLE notes (account_id int, body text);
        CREATE VIEW all_accounts AS SELECT * FROM accounts;
        CREATE VIEW account_orders AS
            SELECT a.*, o.total FROM accounts a JOIN orders o ON o.account_id = a.id;
        CREATE VIEW order_notes AS SELECT * FROM orders JOIN notes USING (account_id);
        CREATE VIEW order_notes_natural AS SELECT * FROM orders NATURAL LEFT JOIN notes;
        CREATE VIEW renamed (ident) AS SELECT * FROM (SELECT id, name AS n FROM accounts) s;
        CREATE VIEW mailing AS WITH c (account) AS (SELECT id, email FROM accounts)
            SELECT c.*, 1 AS one FROM c;
        CREATE VIEW on_a_view AS SELECT * FROM order_notes;
        CREATE VIEW pairs AS SELECT * FROM (VALUES (1, 2)) AS t (x);
        CREATE VIEW both_ids AS SELECT * FROM accounts JOIN orders ON orders.account_id = accounts.id;
        CREATE MATERIALIZED VIEW account_snapshot AS SELECT * FROM accounts;
        ALTER TABLE accounts ADD COLUMN phone text;
        CREATE VIEW all_accounts_now AS SELECT * FROM accounts;
    """
    dsn = make_db("lo")
    refused = _applied_as_psql_f(dsn, script, psycopg.errors.DuplicateColumn)
    static = interpret(script)
    assert [u.line for u in static.unapplied if u.kind == "error"] == refused == [15]
    assert not [u for u in static.unapplied if u.kind != "error"]
    assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []
    columns = {k: [c.name for c in v.columns] for k, v in static.views.items()}
    assert columns["public.all_accounts"] == ["id", "name", "email"]
    assert columns["public.order_notes"] == ["account_id", "id", "total", "body"]
    assert columns["public.all_accounts_now"] == ["id", "name", "email", "phone"]

    unknown = interpret(
        # a function the history does not create (an extension's): its columns are not known
        "CREATE VIEW numbers AS SELECT * FROM crosstab('SELECT 1');\n"
        "CREATE VIEW more_numbers AS SELECT * FROM numbers;\n"
    )
    assert [
        (u.line, u.kind, [(e.kind, e.target) for e in u.effects]) for u in unknown.unapplied
    ] == [
        (1, "unsupported", [("view", "public.numbers")]),
        (2, "unsupported", [("view", "public.more_numbers")]),
    ]


def test_flyway_migrations_replay_in_flyways_transactions(pg_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Flyway runs each migration in its own transaction, except one holding a statement
    its PostgreSQL parser runs outside one (CREATE INDEX CONCURRENTLY …) or whose script
    configuration file says `executeInTransaction=false`. The replay ran Flyway files as
    `psql -f` does: `LOCK TABLE` stopped it (a false replay failure), and a migration failing
    halfway left its first statements behind, which Flyway rolls back. The migrations before
    a failing one stay applied and the replay stops there, as `flyway migrate` does."""
    folder = tmp_path / "db" / "migration"
    folder.mkdir(parents=True)
    (folder / "V1__create_customers.sql").write_text(
        "CREATE TABLE customers (\n    id BIGSERIAL PRIMARY KEY,\n    email VARCHAR(255) NOT NULL\n);\n"
    )
    (folder / "V1_1__lock_and_add_phone.sql").write_text(
        "LOCK TABLE customers IN ACCESS EXCLUSIVE MODE;\n"
        "ALTER TABLE customers ADD COLUMN phone VARCHAR(32);\n"
    )
    (folder / "V2__customers_email_index.sql").write_text(
        "-- runs outside a transaction: Flyway sees CONCURRENTLY\n"
        "CREATE INDEX CONCURRENTLY idx_customers_email ON customers (email);\n"
    )
    (folder / "V3__orders.sql").write_text(
        "CREATE TABLE orders (id BIGSERIAL PRIMARY KEY, customer_id BIGINT NOT NULL);\n"
        "ALTER TABLE orders ADD CONSTRAINT fk_orders_customer\n"
        "    FOREIGN KEY (customer_id) REFERENCES customer (id);\n"
    )
    failed, model = _replayed(pg_server, folder)
    assert failed is not None and failed.where == "migration/V3__orders.sql:2", failed
    assert "phone" in model.tables["public.customers"].columns
    assert "idx_customers_email" in model.tables["public.customers"].indexes
    assert "public.orders" not in model.tables  # rolled back with its migration

    (folder / "V3__orders.sql.conf").write_text("executeInTransaction=false\n")
    failed, model = _replayed(pg_server, folder)
    assert failed is not None and failed.where == "migration/V3__orders.sql:2", failed
    assert "public.orders" in model.tables  # no transaction: its first statement stays


def test_policy_subqueries_carry_the_numeric_casts_postgresql_stores(make_db) -> None:  # type: ignore[no-untyped-def]
    """An integer column meeting a numeric inside a policy's subquery (`i.amount > 3.5`,
    `n < cap` of another table), or an integer column compared with a numeric subquery
    (`amount > (SELECT avg(…))`, `amount IN (SELECT cap …)`), is stored cast to numeric; the
    static reading kept a predicate with a subquery as written (a false `diff` / FAIL
    against the catalog). Each name is resolved in the FROM list PostgreSQL binds it to, and
    a subquery's unnamed aggregate is printed with the name PostgreSQL gives it."""
    script = """
        CREATE TABLE invoices (id int PRIMARY KEY, amount integer, big bigint, price numeric(10, 2), owner text);
        CREATE TABLE limits (owner text, cap numeric, n int);
        ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
        CREATE POLICY sub ON invoices FOR SELECT
            USING (id IN (SELECT i.id FROM invoices i WHERE i.amount > 3.5));
        CREATE POLICY outer_price ON invoices FOR UPDATE
            USING (EXISTS (SELECT 1 FROM invoices i WHERE i.amount < invoices.price));
        CREATE POLICY average ON invoices FOR DELETE
            USING (amount > (SELECT avg(i.amount) FROM invoices i));
        CREATE POLICY capped ON invoices FOR INSERT
            WITH CHECK (amount <= (SELECT cap FROM limits l WHERE l.owner = invoices.owner));
        CREATE POLICY listed ON invoices AS RESTRICTIVE USING (amount IN (SELECT cap FROM limits));
        CREATE POLICY other_table ON invoices AS RESTRICTIVE FOR SELECT
            USING (EXISTS (SELECT 1 FROM limits WHERE n < cap AND amount < 2.5));
        CREATE POLICY sums ON invoices AS RESTRICTIVE FOR UPDATE
            USING (big < (SELECT sum(i.big) FROM invoices i)
                   AND amount < (SELECT sum(i.amount) FROM invoices i)
                   AND amount < (SELECT max(l.cap) FROM limits l));
        CREATE POLICY scaled ON invoices AS RESTRICTIVE FOR DELETE
            USING (owner IN (SELECT owner FROM limits WHERE n * 1.5 > 2));
    """
    assert _differences(make_db, script) == []
    policies = interpret(script).tables["public.invoices"].policies
    assert "numeric" in (policies["average"].using or "")
    assert "numeric" not in (policies["sums"].using or "").split("AND")[1]  # sum(int) is bigint


EXTENSION_HISTORY = """
    CREATE EXTENSION IF NOT EXISTS citext;
    CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE EXTENSION IF NOT EXISTS moddatetime;
    CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
        email citext NOT NULL UNIQUE,
        aliases citext[],
        name text NOT NULL,
        updated_at timestamptz
    );
    CREATE INDEX users_name_trgm ON users USING gin (name gin_trgm_ops);
    CREATE INDEX users_name_similar ON users (similarity(name, 'admin'));
    CREATE TABLE notes (id int, user_id uuid, body text CHECK (similarity(body, 'spam') < 0.9));
    CREATE TRIGGER users_updated BEFORE UPDATE ON users
        FOR EACH ROW EXECUTE PROCEDURE moddatetime (updated_at);
    CREATE VIEW user_emails AS SELECT u.id, u.email FROM users u;
    CREATE VIEW user_names AS SELECT id, name FROM users;
    CREATE FUNCTION user_by_email(e citext) RETURNS uuid LANGUAGE sql
        AS 'SELECT id FROM users WHERE email = e';
    ALTER TABLE users ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own_row ON users USING (email = current_user::citext);
    CREATE POLICY named ON users FOR SELECT USING (name <> '');
    DROP EXTENSION citext CASCADE;
    DROP EXTENSION "uuid-ossp" CASCADE;
    DROP EXTENSION pg_trgm CASCADE;
    DROP EXTENSION moddatetime CASCADE;
"""


def test_drop_extension_cascade_drops_what_uses_the_extension(make_db) -> None:  # type: ignore[no-untyped-def]
    """`DROP EXTENSION … CASCADE` was listed as not applied, so every later finding of the
    static reading was DEFERRED, though PostgreSQL drops exactly what uses the extension's
    types, functions and operator classes: citext columns (and the views, policies and
    functions using them), `uuid_generate_v4()` defaults, pg_trgm indexes and CHECKs,
    moddatetime triggers. The static reading now drops the same; an extension whose members
    it does not know is still listed."""
    import pytest

    with psycopg.connect(make_db("lo"), autocommit=True) as conn:
        available = {r[0] for r in conn.execute("SELECT name FROM pg_available_extensions")}
    if not {"citext", "uuid-ossp", "pg_trgm", "moddatetime"} <= available:
        pytest.skip("the test server lacks a contrib extension this history uses")
    assert _differences(make_db, EXTENSION_HISTORY) == []
    static = interpret(EXTENSION_HISTORY)
    assert not static.unapplied
    users = static.tables["public.users"]
    assert sorted(users.columns) == ["id", "name", "updated_at"]
    assert users.columns["id"].default is None
    assert sorted(static.views) == ["public.user_names"]
    assert sorted(users.policies) == ["named"]
    assert not users.triggers and not static.tables["public.notes"].checks

    unknown = interpret("CREATE EXTENSION postgis;\nDROP EXTENSION postgis CASCADE;\n")
    assert [(u.line, u.kind) for u in unknown.unapplied] == [(2, "unsupported")]


def test_extension_members_are_what_the_catalog_records(make_db) -> None:  # type: ignore[no-untyped-def]
    """The extension members the static reading drops with CASCADE are those `pg_depend`
    records for each extension (types, functions callable from SQL outside pg_catalog's
    names, operator classes)."""
    import pytest

    from schema_audit.sources.ddl.extension_members import MEMBERS

    dsn = make_db("lo")
    with psycopg.connect(dsn, autocommit=True) as conn:
        available = {r[0] for r in conn.execute("SELECT name FROM pg_available_extensions")}
        if not set(MEMBERS) <= available:
            pytest.skip(f"the test server lacks {sorted(set(MEMBERS) - available)}")
        members = {}
        for name in MEMBERS:
            conn.execute(f'CREATE EXTENSION "{name}" CASCADE')
            rows = conn.execute(
                """
                SELECT d.classid::regclass::text, coalesce(t.typname, p.proname, o.opcname)
                FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = %s
                LEFT JOIN pg_type t ON d.classid = 'pg_type'::regclass AND t.oid = d.objid
                LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
                    AND p.prorettype <> 'internal'::regtype
                    AND NOT 'internal'::regtype = ANY (p.proargtypes::oid[])
                    AND NOT EXISTS (SELECT FROM pg_proc c WHERE c.proname = p.proname
                                    AND c.pronamespace = 'pg_catalog'::regnamespace)
                LEFT JOIN pg_opclass o ON d.classid = 'pg_opclass'::regclass AND o.oid = d.objid
                WHERE d.deptype = 'e'
                """,
                [name],
            ).fetchall()
            found = {kind: {n for k, n in rows if k == kind and n} for kind, _ in rows}
            members[name] = (
                found.get("pg_type", set()),
                found.get("pg_proc", set()),
                found.get("pg_opclass", set()),
            )
            conn.execute(f'DROP EXTENSION "{name}" CASCADE')
    assert members == {
        name: (set(m.types), set(m.functions), set(m.opclasses)) for name, m in MEMBERS.items()
    }


ATOMIC_HISTORY = """
    CREATE TABLE users (id int PRIMARY KEY, name text, score numeric);
    CREATE FUNCTION user_count() RETURNS bigint LANGUAGE sql STABLE
    BEGIN ATOMIC
        SELECT count(*) FROM users;
    END;
    CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE RETURN a + b;
    CREATE FUNCTION rename_user(uid int, n text) RETURNS void LANGUAGE sql
    BEGIN ATOMIC
        UPDATE users SET name = n WHERE id = uid;
    END;
"""


def test_begin_atomic_bodies_are_compared_live(pg_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A `BEGIN ATOMIC` (or `RETURN`) body is kept parsed, not in prosrc: the live read saw
    an empty body, so `init --dsn` wrote none and a function re-created with another body
    still PASSed (only a note said the body was not compared). The live read now prints it
    with pg_get_function_sqlbody: a spec init wrote from the database FAILs the changed
    body, and init's static reading of the same history, audited live, does not FAIL."""
    import json

    from typer.testing import CliRunner

    from schema_audit.cli import app

    def audit(spec, dsn):  # type: ignore[no-untyped-def]
        result = CliRunner().invoke(app, ["audit", "-s", str(spec), "--dsn", dsn, "-f", "json"])
        assert result.exit_code in (0, 1), result.output
        return {f["id"]: f for f in json.loads(result.output)["findings"]}

    name, dsn = pg_server.create_database("atomic")
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(ATOMIC_HISTORY)
        model = live.introspect(dsn)
        assert model.functions["public.user_count()"].body.startswith("BEGIN ATOMIC")
        spec = tmp_path / "spec.yaml"
        result = CliRunner().invoke(app, ["init", "--dsn", dsn, "-o", str(spec)])
        assert result.exit_code == 0, result.output
        history = tmp_path / "history"
        history.mkdir()
        (history / "001_users.sql").write_text(ATOMIC_HISTORY)
        static_spec = tmp_path / "static.yaml"
        result = CliRunner().invoke(app, ["init", "--sql", str(history), "-o", str(static_spec)])
        assert result.exit_code == 0, result.output
        assert [i for i, f in audit(spec, dsn).items() if f["status"] == "FAIL"] == []
        assert [i for i, f in audit(static_spec, dsn).items() if f["status"] == "FAIL"] == []
        # the printer's decorations (`rename_user.n`) cannot be told from a changed body:
        # undecided, said as such (fidelity11: it was left out), never a difference
        differences = diff_models(model, interpret(ATOMIC_HISTORY))
        assert [d for d in differences if d.unsure is None] == []
        assert all("BEGIN ATOMIC" in (d.unsure or "") for d in differences)

        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "CREATE OR REPLACE FUNCTION user_count() RETURNS bigint LANGUAGE sql STABLE "
                "BEGIN ATOMIC SELECT count(*) FROM users WHERE score > 0; END"
            )
        failing = [i for i, f in audit(spec, dsn).items() if f["status"] == "FAIL"]
        assert [i for i in failing if "user_count" in i] and len(failing) == 1, failing
    finally:
        pg_server.drop_database(name)


def test_drop_column_refused_while_something_outside_its_table_depends_on_it(make_db) -> None:  # type: ignore[no-untyped-def]
    """`ALTER TABLE … DROP COLUMN` without CASCADE is refused while a view reads the column,
    another table's foreign key references it, or a policy or trigger of the table reads it
    (its own indexes and constraints go with it); with CASCADE those go too. The static
    reading dropped the column (and the foreign key) and kept the view."""
    script = """
        CREATE TABLE users (id int PRIMARY KEY, email text UNIQUE, name text, age int, nick text);
        CREATE TABLE posts (id int, author_email text REFERENCES users (email));
        CREATE VIEW user_names AS SELECT u.id, u.name FROM users u;
        ALTER TABLE users ENABLE ROW LEVEL SECURITY;
        CREATE POLICY adults ON users USING (age > 17);
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER nick_changed BEFORE UPDATE OF nick ON users
            FOR EACH ROW EXECUTE FUNCTION touch();
        ALTER TABLE users DROP COLUMN name;
        ALTER TABLE users DROP COLUMN email;
        ALTER TABLE users DROP COLUMN age;
        ALTER TABLE users DROP COLUMN nick;
        ALTER TABLE users DROP COLUMN name CASCADE;
        ALTER TABLE users DROP COLUMN age CASCADE;
    """
    dsn = make_db("lo")
    refused = _applied_as_psql_f(dsn, script)
    static = interpret(script)
    assert [u.line for u in static.unapplied if u.kind == "error"] == refused == [10, 11, 12, 13]
    assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []
    assert not static.views and not static.tables["public.users"].policies


def test_drop_schema_refused_while_it_holds_objects_and_cascade_empties_it(make_db) -> None:  # type: ignore[no-untyped-def]
    """`DROP SCHEMA` of a schema holding objects is refused without CASCADE; with CASCADE
    PostgreSQL drops its tables, views, functions, sequences and enums, and the foreign keys
    and views elsewhere that need its tables. Statically only its tables went: its views,
    functions, sequences and types stayed, and so did the foreign key of another schema."""
    script = """
        CREATE SCHEMA billing;
        CREATE TABLE billing.invoices (id serial PRIMARY KEY, total int);
        CREATE TABLE public.payments (id int, invoice_id int REFERENCES billing.invoices);
        CREATE VIEW public.invoice_totals AS SELECT id, total FROM billing.invoices;
        CREATE VIEW billing.big AS SELECT id FROM billing.invoices WHERE total > 100;
        CREATE FUNCTION billing.one() RETURNS int LANGUAGE sql AS 'SELECT 1';
        CREATE TYPE billing.state AS ENUM ('open');
        CREATE SEQUENCE billing.numbers;
        CREATE SCHEMA empty_one;
        DROP SCHEMA billing;
        DROP SCHEMA empty_one;
        DROP SCHEMA billing CASCADE;
    """
    dsn = make_db("lo")
    refused = _applied_as_psql_f(dsn, script)
    static = interpret(script)
    assert [u.line for u in static.unapplied if u.kind == "error"] == refused == [11]
    assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []
    assert not static.views and not static.functions and not static.enums
