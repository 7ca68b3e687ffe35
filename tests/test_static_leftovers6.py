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


# A Rails structure.sql (pg_dump) with rules guarding an append-only table and a view.
RULES_DUMP = """
    CREATE TABLE public.post_events (id bigint NOT NULL, post_id bigint, action text);
    CREATE TABLE public.post_event_log (id bigint, action text);
    CREATE VIEW public.recent_post_events AS SELECT id, post_id, action FROM public.post_events;
    CREATE RULE post_events_no_delete AS ON DELETE TO public.post_events DO INSTEAD NOTHING;
    CREATE RULE post_events_no_update AS ON UPDATE TO public.post_events DO INSTEAD NOTHING;
    CREATE RULE post_events_log AS ON INSERT TO public.post_events
        DO ALSO INSERT INTO public.post_event_log VALUES (NEW.id, NEW.action);
    CREATE RULE recent_post_events_insert AS ON INSERT TO public.recent_post_events
        DO INSTEAD INSERT INTO public.post_events VALUES (NEW.id, NEW.post_id, NEW.action);
    DROP RULE post_events_no_update ON public.post_events;
    ALTER TABLE public.post_event_log RENAME TO post_event_journal;
    CREATE OR REPLACE RULE post_events_log AS ON INSERT TO public.post_events
        DO ALSO INSERT INTO public.post_event_journal VALUES (NEW.id, NEW.action);
    CREATE INDEX index_post_events_on_post_id ON public.post_events USING btree (post_id);
"""


def test_a_rule_is_named_not_a_reason_to_defer_everything(make_db) -> None:  # type: ignore[no-untyped-def]
    """A non-SELECT `CREATE RULE` adds only to pg_rewrite: the static reading now applies it
    as PostgreSQL does (the model unchanged) and names each rule as the live reader names it,
    instead of listing it as "not interpreted", which could change anything and DEFERRED every
    finding after it (2,093 on e621ng's structure.sql)."""
    assert _differences(make_db, RULES_DUMP) == []
    static = interpret(RULES_DUMP, file="structure.sql")
    assert static.unapplied == []
    dsn = make_db("s6r", RULES_DUMP)
    read = live.introspect(dsn)
    # the live reader reads a table's and a view's rules (Table.rules, View.rules, strict.rules)
    live_rules = sorted(
        [s.split(" is not modelled")[0] for s in read.blind_spots if s.startswith("rule ")]
        + [f"rule {name} on {key}" for key, t in read.tables.items() for name in t.rules]
        + [f"rule {name} on {key}" for key, v in read.views.items() for name in v.rules]
    )
    static_rules = sorted(
        s.split(": ", 1)[1].split(" is not modelled")[0] for s in static.blind_spots
    )
    assert static_rules == live_rules
    assert len(static_rules) == 3


def test_a_rule_postgresql_refuses_or_an_on_select_rule_defers_only_its_relation(make_db) -> None:  # type: ignore[no-untyped-def]
    """A rule on a relation that is not there, a second rule of one name, a DROP RULE of none:
    refused as PostgreSQL refuses them. `ON SELECT … DO INSTEAD SELECT` (a table turned into a
    view, pg_dump's pre-9.4 form) is applied (test_static_leftovers7); one whose SELECT's
    columns are not known is not interpreted: it may change that relation only."""
    script = """
        CREATE TABLE public.posts (id bigint, title text);
        CREATE TABLE public.old_posts (id bigint, title text);
        CREATE RULE posts_keep AS ON DELETE TO public.posts DO INSTEAD NOTHING;
        CREATE RULE posts_keep AS ON DELETE TO public.posts DO INSTEAD NOTHING;
        CREATE RULE gone AS ON DELETE TO public.missing DO INSTEAD NOTHING;
        DROP RULE IF EXISTS nothing_here ON public.posts;
        CREATE RULE "_RETURN" AS ON SELECT TO public.old_posts DO INSTEAD SELECT id, title FROM public.posts;
    """
    static = interpret(script)
    assert [(u.line, u.kind) for u in static.unapplied] == [(5, "error"), (6, "error")]
    assert _differences(make_db, script) == []
    unknown = interpret(
        "CREATE TABLE public.old_posts (id bigint, title text);\n"
        'CREATE RULE "_RETURN" AS ON SELECT TO public.old_posts DO INSTEAD\n'
        "    SELECT * FROM unknown_function();\n"
    )
    assert [(u.line, u.kind) for u in unknown.unapplied] == [(2, "unsupported")]
    on_select = unknown.unapplied[-1]
    assert sorted(e.describe() for e in on_select.effects) == ["anything on public.old_posts"]


def test_flyway_java_migrations_are_named_where_flyway_runs_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Flyway runs Java (Kotlin, compiled) migrations found on the classpath: beside the SQL
    files, or in the source set's code when the SQL folder is Maven's `src/main/resources/…`
    (Marquez: `V56_1__FacetViews.java` creates three views; its `getVersion()` may say another
    version than its name). They were skipped without a word; each is now named, with where
    it runs among the SQL migrations. A test class in `src/test` is not a migration."""
    from schema_audit.sources.sqlfile import discover

    sql = tmp_path / "api" / "src" / "main" / "resources" / "app" / "db" / "migration"
    code = tmp_path / "api" / "src" / "main" / "java" / "app" / "db" / "migrations"
    tests = tmp_path / "api" / "src" / "test" / "java" / "app" / "db" / "migrations"
    for folder in (sql, code, tests):
        folder.mkdir(parents=True)
    (sql / "V1__init.sql").write_text("CREATE TABLE runs (uuid uuid PRIMARY KEY);\n")
    (sql / "V2__facets.sql").write_text("CREATE TABLE facets (run_uuid uuid);\n")
    (sql / "V3__index.sql").write_text("CREATE INDEX facets_run ON facets (run_uuid);\n")
    (sql / "V4__Compiled.class").write_bytes(b"\xca\xfe\xba\xbe")
    (code / "V2_1__FacetViews.java").write_text(
        "package app.db.migrations;\n"
        "import org.flywaydb.core.api.migration.BaseJavaMigration;\n"
        "public class V2_1__FacetViews extends BaseJavaMigration {}\n"
    )
    (code / "V2_2__Backfill.java").write_text(
        "public class V2_2__Backfill implements JavaMigration {\n"
        '  public MigrationVersion getVersion() { return MigrationVersion.fromVersion("3.5"); }\n}\n'
    )
    (code / "V9__NotAMigration.java").write_text("public class V9__NotAMigration {}\n")
    (tests / "V2_2__BackfillTest.java").write_text(
        "class V2_2__BackfillTest extends JavaMigration {}\n"
    )
    layout = discover(sql)
    assert layout.name == "flyway"
    assert [(i.code, i.revision, i.severity) for i in layout.issues] == [
        ("not-read", "V2.1", "warning"),
        ("not-read", "V3.5", "warning"),
        ("not-read", "V4", "warning"),
    ]
    assert layout.issues[0].message.endswith(
        "not read; Flyway runs it after V2__facets.sql and before V3__index.sql"
    )
    assert "after V3__index.sql" in layout.issues[1].message
    assert [f.name for f in layout.files] == ["V1__init.sql", "V2__facets.sql", "V3__index.sql"]


def test_drop_column_covered_only_by_a_star_view_is_refused(make_db) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL expands a view's `*` when it makes the view, so the view depends on every
    column the `*` covered then (in a subquery, a WITH query or EXISTS too): DROP COLUMN
    without CASCADE and ALTER COLUMN TYPE are refused, DROP COLUMN … CASCADE drops the view.
    Statically the column went and the view stayed (a view the database no longer has). A
    column added after the view, or a `*` over another relation, is not covered."""
    script = """
        CREATE TABLE accounts (id int, email text, plan text, legacy int);
        CREATE TABLE orgs (id int, name text);
        CREATE VIEW all_accounts AS SELECT * FROM accounts;
        CREATE VIEW org_ids AS WITH o AS (SELECT * FROM orgs) SELECT o.id FROM o;
        CREATE VIEW active_orgs AS
            SELECT id FROM orgs WHERE EXISTS (SELECT * FROM accounts a WHERE a.id = orgs.id);
        CREATE VIEW account_orgs AS SELECT o.*, accounts.id AS account_id
            FROM accounts JOIN orgs o USING (id);
        ALTER TABLE accounts ADD COLUMN added_later int;
        ALTER TABLE accounts DROP COLUMN added_later;
        ALTER TABLE accounts RENAME COLUMN plan TO tier;
        ALTER TABLE accounts DROP COLUMN tier;
        ALTER TABLE accounts ALTER COLUMN email TYPE varchar(320);
        ALTER TABLE orgs DROP COLUMN name;
        ALTER TABLE accounts DROP COLUMN legacy CASCADE;
    """
    assert _differences(make_db, script) == []
    static = interpret(script)
    assert [u.line for u in static.unapplied] == [13, 14, 15]
    assert "public.all_accounts" not in static.views
    assert "public.account_orgs" in static.views


def test_policy_subquery_over_its_own_table_gets_postgresql_alias(make_db) -> None:  # type: ignore[no-untyped-def]
    """A policy subquery reading the policy's own table without an alias: PostgreSQL prints it
    under a name of its own (`FROM invoices invoices_1`, one level deeper `invoices_2`) with
    its columns qualified by that name, `invoices.amount` inside it included. Read as
    written, the static predicate differed from the catalog's (a false FAIL of the static
    audit against the spec `init --dsn` wrote)."""
    script = """
        CREATE TABLE invoices (id int, owner text, amount numeric, team int);
        CREATE TABLE teams (id int, lead text);
        ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
        CREATE POLICY below_average ON invoices USING (amount < (SELECT avg(amount) FROM invoices));
        CREATE POLICY mine ON invoices FOR UPDATE
            USING (id IN (SELECT id FROM invoices WHERE owner = current_user));
        CREATE POLICY team_max ON invoices FOR DELETE
            USING (amount <= (SELECT max(invoices.amount) FROM invoices WHERE invoices.team = team));
        CREATE POLICY led ON invoices FOR SELECT USING (team IN (
            SELECT t.id FROM teams t WHERE t.lead = (SELECT max(owner) FROM invoices)));
        CREATE POLICY nested ON invoices FOR INSERT WITH CHECK (EXISTS (
            SELECT 1 FROM invoices WHERE EXISTS (SELECT 1 FROM invoices WHERE amount > 0)));
        CREATE POLICY aliased ON invoices FOR SELECT
            USING (EXISTS (SELECT 1 FROM invoices i WHERE i.owner = invoices.owner));
    """
    assert _differences(make_db, script) == []
    policies = interpret(script).tables["public.invoices"].policies
    assert "invoices_1.amount" in (policies["below_average"].using or "")
    assert "invoices_2.amount" in (policies["nested"].with_check or "")


def test_an_integer_literal_beyond_integer_is_bigint_not_numeric(make_db) -> None:  # type: ignore[no-untyped-def]
    """`CHECK (id < 10000000000)`: a literal too large for integer that fits bigint is a bigint
    constant for PostgreSQL (stored `(id < '10000000000'::bigint)`); the static reading took it
    for numeric and cast the column (`CAST(id AS numeric) < 10000000000`): a false FAIL on the
    CHECK, an index predicate or a generated column. A literal beyond bigint is numeric."""
    script = """
        CREATE TABLE events (id bigint, seq int, weight smallint, total numeric);
        ALTER TABLE events ADD CONSTRAINT events_id_range CHECK (id < 10000000000);
        ALTER TABLE events ADD CONSTRAINT events_seq_range CHECK (seq + 1 < 3000000000);
        ALTER TABLE events ADD CONSTRAINT events_weight CHECK (weight > -9223372036854775808);
        ALTER TABLE events ADD CONSTRAINT events_huge CHECK (id < 99999999999999999999);
        CREATE INDEX events_big_ids ON events (id) WHERE id > 5000000000;
        ALTER TABLE events ADD COLUMN scaled bigint GENERATED ALWAYS AS (seq * 10000000000) STORED;
    """
    assert _differences(make_db, script) == []


def test_star_over_a_set_returning_function_is_expanded(make_db) -> None:  # type: ignore[no-untyped-def]
    """`SELECT * FROM unnest(…)`, `generate_series`, `jsonb_each`, `ROWS FROM`, a function
    returning TABLE / OUT parameters / SETOF a table: PostgreSQL names the view's columns from
    the function (its name, or the alias for one column, `ordinality`, the row's columns). They
    were "not known" statically (the view's findings DEFERRED). A view using the columns of a
    function returning a table's row type reads that table, as PostgreSQL records. An
    overloaded function or SETOF record without a definition list stays not known."""
    script = """
        CREATE TABLE posts (id int, tags text[]);
        CREATE FUNCTION post_rows() RETURNS TABLE (post_id int, title text)
            LANGUAGE sql AS $$ SELECT 1, 'x' $$;
        CREATE FUNCTION all_posts() RETURNS SETOF posts LANGUAGE sql AS $$ SELECT * FROM posts $$;
        CREATE FUNCTION counts(OUT total int, OUT tagged int) LANGUAGE sql AS $$ SELECT 1, 2 $$;
        CREATE FUNCTION ids() RETURNS SETOF int LANGUAGE sql AS $$ SELECT 1 $$;
        CREATE FUNCTION anything() RETURNS SETOF record LANGUAGE sql AS $$ SELECT 1 $$;
        CREATE FUNCTION over(a int) RETURNS SETOF int LANGUAGE sql AS $$ SELECT a $$;
        CREATE FUNCTION over(a text) RETURNS SETOF text LANGUAGE sql AS $$ SELECT a $$;
        CREATE VIEW numbers AS SELECT * FROM unnest(ARRAY[1, 2]);
        CREATE VIEW named AS SELECT * FROM unnest(ARRAY[1, 2]) AS u;
        CREATE VIEW renamed AS SELECT * FROM unnest(ARRAY[1, 2]) AS u(n);
        CREATE VIEW series AS SELECT * FROM generate_series(1, 3) WITH ORDINALITY;
        CREATE VIEW post_tags AS SELECT p.id, x.* FROM posts p, unnest(p.tags) x;
        CREATE VIEW rows_of AS SELECT * FROM post_rows();
        CREATE VIEW rows_renamed AS SELECT * FROM post_rows() r(pid);
        CREATE VIEW post_copy AS SELECT * FROM all_posts();
        CREATE VIEW post_ids AS SELECT x.id FROM all_posts() x;
        CREATE VIEW post_count AS SELECT 1 AS one FROM all_posts();
        CREATE VIEW totals AS SELECT * FROM counts();
        CREATE VIEW id_list AS SELECT * FROM ids();
        CREATE VIEW pairs AS SELECT * FROM jsonb_each('{}'::jsonb);
        CREATE VIEW both_sets AS SELECT * FROM ROWS FROM (generate_series(1, 2), unnest(ARRAY['a']));
        CREATE VIEW defined AS SELECT * FROM anything() AS a(x int, y text);
        CREATE VIEW overloaded AS SELECT * FROM over(1);
    """
    assert _differences(make_db, script) == [
        'view public.overloaded: columns: over vs "?column?"',
        # its `*` is not known either: the query stays as written (listed unapplied below)
        "view public.overloaded: query: SELECT over.over\n   FROM public.over(1) over(over)"
        " vs SELECT * FROM over(1)",
    ]
    static = interpret(script)
    assert [u.line for u in static.unapplied] == [26]


def test_do_block_reading_information_schema_views_is_run(make_db) -> None:  # type: ignore[no-untyped-def]
    """Marquez's V52: a DO block asks information_schema.views whether a view exists, reads
    its `view_definition`, drops it, changes a column's type and recreates the view with
    `EXECUTE format('CREATE VIEW … AS %s', definition)`. information_schema.views was not
    modelled, so the block "may change anything" about views (DEFERRED). Now it runs: the
    view's existence is the model's, and its definition stands for the view's query where
    it is only run as SQL. A block comparing the definition's text stays not applied, with
    only what its branch could change."""
    script = """
        CREATE TABLE dataset_symlinks (dataset_uuid uuid, name varchar(64), is_primary boolean);
        CREATE TABLE datasets (uuid uuid PRIMARY KEY, name varchar(255));
        CREATE VIEW datasets_view AS SELECT d.uuid, s.name AS symlink
            FROM datasets d JOIN dataset_symlinks s ON s.dataset_uuid = d.uuid WHERE s.is_primary;
        DO
        $$
        DECLARE
            datasets_view_exists boolean;
            datasets_view_definition text;
        BEGIN
            SELECT EXISTS (
                SELECT * FROM information_schema.views
                WHERE table_schema='public' AND table_name='datasets_view'
            ) INTO datasets_view_exists;
            IF datasets_view_exists THEN
                SELECT view_definition FROM information_schema.views
                WHERE table_schema='public' AND table_name='datasets_view'
                INTO datasets_view_definition;
                DROP VIEW datasets_view;
                ALTER TABLE dataset_symlinks ALTER COLUMN name TYPE VARCHAR;
                EXECUTE format('CREATE VIEW datasets_view AS %s', datasets_view_definition);
            ELSE
                ALTER TABLE dataset_symlinks ALTER COLUMN name TYPE VARCHAR;
            END IF;
        END
        $$ LANGUAGE plpgsql;
        DO $$
        BEGIN
          IF (SELECT view_definition FROM information_schema.views
              WHERE table_name = 'datasets_view') LIKE '%symlink%' THEN
            ALTER TABLE datasets ADD COLUMN flagged boolean;
          END IF;
        END $$;
    """
    assert _differences(make_db, script) == [
        "column public.datasets.flagged: exists: present vs (absent)"
    ]
    static = interpret(script)
    assert [(u.kind, [e.describe() for e in u.effects]) for u in static.unapplied] == [
        ("dynamic", ["column flagged on public.datasets"])
    ]


def test_inheritance_refusals_as_postgresql_refuses(make_db) -> None:  # type: ignore[no-untyped-def]
    """ALTER TABLE ONLY on a parent for what must reach its children (a column, an inheritable
    CHECK, a type, a rename), and on a child a change of a column it inherits: PostgreSQL
    refuses each; statically they were applied (the parent or child then differed)."""
    script = """
        CREATE TABLE parent (id int, n int);
        CREATE TABLE child () INHERITS (parent);
        ALTER TABLE ONLY parent ADD COLUMN x int;
        ALTER TABLE ONLY parent ADD CONSTRAINT n_positive CHECK (n > 0);
        ALTER TABLE ONLY parent ADD CONSTRAINT n_small CHECK (n < 100) NO INHERIT;
        ALTER TABLE ONLY parent ALTER COLUMN n TYPE bigint;
        ALTER TABLE ONLY parent RENAME COLUMN n TO m;
        ALTER TABLE child RENAME COLUMN id TO ident;
        ALTER TABLE child DROP COLUMN id;
        ALTER TABLE child ALTER COLUMN id TYPE bigint;
        ALTER TABLE ONLY parent ALTER COLUMN id SET NOT NULL;
        ALTER TABLE ONLY parent DROP COLUMN n;
    """
    assert _differences(make_db, script) == []
    static = interpret(script)
    assert [(u.line, u.kind) for u in static.unapplied] == [
        (4, "error"),
        (5, "error"),
        (7, "error"),
        (8, "error"),
        (9, "error"),
        (10, "error"),
        (11, "error"),
    ]


def test_an_undecided_alter_of_an_inherits_parent_defers_its_children(make_db) -> None:  # type: ignore[no-untyped-def]
    """A DO block the static reader cannot decide adds a column to an inheritance parent:
    PostgreSQL (here with the setting on) adds it to the child too. The open effects named
    the parent only, so the child's column findings stayed PASS/FAIL on a model without it
    (silently less); now every child the ALTER reaches is named too."""
    from schema_audit.audit.deferral import Facet, open_statements

    script = """
        CREATE TABLE parent (id int, n int);
        CREATE TABLE child () INHERITS (parent);
        CREATE TABLE grandchild () INHERITS (child);
        CREATE TABLE other (id int);
        DO $$ BEGIN
          IF current_setting('app.flag') = 'on' THEN
            ALTER TABLE parent ADD COLUMN z int;
          END IF;
        END $$;
    """
    dsn = make_db("s6d")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET app.flag = 'on'")
        conn.execute(script)
    static = interpret(script)
    differing = [str(d) for d in diff_models(live.introspect(dsn), static)]
    assert differing == [
        "column public.child.z: exists: present vs (absent)",
        "column public.grandchild.z: exists: present vs (absent)",
        "column public.parent.z: exists: present vs (absent)",
    ]
    for table in ("parent", "child", "grandchild"):
        assert open_statements(static, [Facet("column", f"public.{table}", "z")])
    assert not open_statements(static, [Facet("column", "public.other", "z")])
