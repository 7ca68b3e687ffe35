"""Static readings PostgreSQL disagreed with (the seventh session's leftovers): a view's
stored query over a USING / NATURAL join, a table moved by SET SCHEMA under a view, a
jsonb literal compared with a jsonb operand.

Each script is applied to a real database; the static reading must give what the catalog
holds (``diff`` of both models, and each view's query as ``pg_get_viewdef`` prints it).
"""

from __future__ import annotations

import psycopg

from schema_audit.audit.undecided import compare_models
from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret
from schema_audit.sqlnorm import canonical_query
from schema_audit.viewtext import views_equal


def _queries_apart(make_db, script: str) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The views whose static query is not the one the catalog stores (canonical forms)."""
    dsn = make_db("s7", script)
    catalog, static = live.introspect(dsn), interpret(script)
    assert not static.unapplied
    assert [str(d) for d in diff_models(catalog, static)] == []
    return {
        key: (canonical_query(view.definition), canonical_query(static.views[key].definition))
        for key, view in catalog.views.items()
        if views_equal(view.definition, static.views[key].definition) is not True
    }


def test_select_star_over_a_using_join_lists_the_merged_column_first(make_db) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL expands `*` over `JOIN … USING` as the merged columns first (under the
    preserved side's name; bare for FULL, a COALESCE), then each side's others; NATURAL is
    stored as USING its common columns; `notes.*` keeps notes' merged column. The static
    query listed the left table's columns first, and left NATURAL / FULL stars as written."""
    script = """
        CREATE TABLE orders (id serial PRIMARY KEY, account_id int, total int);
        CREATE TABLE notes (account_id int, body text);
        CREATE VIEW order_notes AS SELECT * FROM orders JOIN notes USING (account_id);
        CREATE VIEW order_notes_natural AS SELECT * FROM orders NATURAL LEFT JOIN notes;
        CREATE VIEW order_notes_right AS SELECT * FROM orders RIGHT JOIN notes USING (account_id);
        CREATE VIEW order_notes_full AS SELECT * FROM orders FULL JOIN notes USING (account_id);
        CREATE VIEW notes_side AS
            SELECT notes.*, account_id AS merged FROM orders JOIN notes USING (account_id);
        CREATE VIEW three AS
            SELECT * FROM notes RIGHT JOIN orders USING (account_id)
                JOIN (VALUES (1, 1)) o2 (id, n) USING (id);
        CREATE VIEW on_a_view AS SELECT * FROM order_notes WHERE account_id > 0;
    """
    assert _queries_apart(make_db, script) == {}


def test_a_table_moved_by_set_schema_is_followed_by_its_views_and_foreign_keys(make_db) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL's stored query holds the table by oid: after `ALTER TABLE … SET SCHEMA`
    the view reads (and prints) `archive.accounts`; a foreign key to it too. The static
    view still read `public.accounts`, and the foreign key named the old schema."""
    script = """
        CREATE SCHEMA archive;
        CREATE TABLE accounts (id int PRIMARY KEY, name text);
        CREATE TABLE invoices (id int, account_id int REFERENCES accounts);
        CREATE VIEW account_names AS SELECT a.id, a.name FROM accounts a;
        CREATE VIEW invoice_accounts AS
            SELECT i.id, accounts.name FROM invoices i JOIN accounts ON accounts.id = i.account_id;
        CREATE INDEX accounts_name ON accounts (name);
        ALTER TABLE accounts SET SCHEMA archive;
        CREATE VIEW later AS SELECT * FROM archive.accounts;
        CREATE INDEX accounts_name2 ON archive.accounts (name, id);
    """
    assert _queries_apart(make_db, script) == {}


def test_a_string_literal_meeting_a_jsonb_operand_is_stored_as_jsonb(make_db) -> None:  # type: ignore[no-untyped-def]
    """`data @> '{"b":[1,2],  "a":1}'` with `data jsonb` is stored as the jsonb value
    re-printed (`'{"a": 1, "b": [1, 2]}'::jsonb`); a text operand keeps its literal. A
    partial column alias list is printed whole. The static query kept the literal as
    written (init --sql's definition then FAILed against the database)."""
    script = """
        CREATE TABLE docs (id int, data jsonb, meta json, t text);
        CREATE VIEW contains AS SELECT id FROM docs WHERE data @> '{"b":[1,2],  "a":1}';
        CREATE VIEW merged AS
            SELECT d.id, d.data || '{"x":true}' AS more FROM docs d WHERE '{"a":1}' <@ d.data;
        CREATE VIEW equal AS SELECT id FROM docs WHERE data = '{"z":1,"a":2}' OR t = '{"a":1}';
        CREATE VIEW cast_operand AS SELECT id FROM docs WHERE t::jsonb @> '{"a":1}';
        CREATE VIEW aliased AS SELECT i FROM docs x (i, dd) WHERE dd @> '{"a":1}';
        CREATE VIEW same_names AS SELECT id FROM docs x (id, data);
    """
    assert _queries_apart(make_db, script) == {}


def test_diff_compares_view_queries_as_postgresql_stores_them(make_db) -> None:  # type: ignore[no-untyped-def]
    """`diff` compared a view's columns and the relations it reads, not its query: a view
    whose WHERE changed on the database showed no difference. The queries are compared as
    PostgreSQL stores them now (a function in FROM with its schema and every column named,
    `CREATE VIEW v (ident)` as `AS ident`, a VALUES alias list printed whole); one differing
    only in casts PostgreSQL adds is undecided, with the reason, not drift."""
    script = """
        CREATE TABLE accounts (id int PRIMARY KEY, active boolean, tags text[], n int);
        CREATE FUNCTION active_ids() RETURNS TABLE (id int) LANGUAGE sql
            AS 'SELECT id FROM accounts WHERE active';
        CREATE VIEW active AS SELECT id FROM accounts WHERE active;
        CREATE VIEW from_function AS SELECT * FROM active_ids();
        CREATE VIEW tags AS SELECT a.id, t.* FROM accounts a, unnest(a.tags) t;
        CREATE VIEW renamed (ident) AS SELECT * FROM (SELECT id, n AS m FROM accounts) s;
        CREATE VIEW pairs AS SELECT * FROM (VALUES (1, 2)) AS t (x);
        CREATE VIEW totals AS SELECT COALESCE(sum(n), 0) / 100.0 AS total FROM accounts;
    """
    dsn = make_db("s7", script)
    static = interpret(script)
    same = compare_models(live.introspect(dsn), static)
    assert same.differences == []
    assert [(u.difference.object, u.difference.property) for u in same.undecided] == [
        ("view public.totals", "query")
    ]
    assert "differ only in casts" in same.undecided[0].reason
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE OR REPLACE VIEW active AS SELECT id FROM accounts WHERE NOT active")
    changed = compare_models(live.introspect(dsn), static)
    assert [str(d) for d in changed.differences] == [
        "view public.active: query: SELECT accounts.id\n   FROM public.accounts\n"
        "  WHERE NOT accounts.active vs SELECT accounts.id FROM public.accounts"
        " WHERE accounts.active"
    ]


def _differences(make_db, script: str) -> list[str]:  # type: ignore[no-untyped-def]
    dsn = make_db("s7", script)
    static = interpret(script)
    assert not static.unapplied
    return [str(d) for d in diff_models(live.introspect(dsn), static)]


def test_an_integer_meeting_a_float_or_an_interval_is_stored_cast_to_double_precision(
    make_db,
) -> None:  # type: ignore[no-untyped-def]
    """Ory Hydra's `expires_at … GENERATED ALWAYS AS (CASE WHEN consent_remember_for > 0
    THEN requested_at + consent_remember_for * CAST('1 second' AS interval) END)`: no
    `integer * interval` operator exists, so PostgreSQL casts the integer to double
    precision (`float8 * interval`), as it does where an integer meets a float; and a CASE
    without ELSE is stored `ELSE NULL::timestamp`. Read as written: a static false FAIL."""
    script = """
        CREATE TABLE hydra_oauth2_flow (
            login_challenge VARCHAR(40) NOT NULL PRIMARY KEY,
            requested_at TIMESTAMP NOT NULL DEFAULT NOW(),
            consent_remember_for INTEGER,
            login_remember_for INTEGER NOT NULL DEFAULT 0,
            weight DOUBLE PRECISION,
            ratio REAL
        );
        ALTER TABLE hydra_oauth2_flow ADD COLUMN expires_at TIMESTAMP GENERATED ALWAYS AS (
            CASE WHEN consent_remember_for > 0
                THEN requested_at + consent_remember_for * CAST('1 second' AS interval) END
        ) STORED;
        ALTER TABLE hydra_oauth2_flow ADD COLUMN remember_for INTERVAL
            GENERATED ALWAYS AS (login_remember_for * interval '1 minute') STORED;
        ALTER TABLE hydra_oauth2_flow ADD COLUMN weighted DOUBLE PRECISION
            GENERATED ALWAYS AS (login_remember_for * weight + ratio * login_remember_for) STORED;
        ALTER TABLE hydra_oauth2_flow ADD CONSTRAINT weight_bound
            CHECK (login_remember_for < weight);
        CREATE INDEX hydra_oauth2_flow_weighted_idx
            ON hydra_oauth2_flow ((login_remember_for * weight));
        CREATE INDEX hydra_oauth2_flow_recent_idx ON hydra_oauth2_flow (requested_at)
            WHERE login_remember_for > weight;
    """
    assert _differences(make_db, script) == []


def test_a_jsonpath_constant_is_compared_in_postgresqls_printed_form(make_db) -> None:  # type: ignore[no-untyped-def]
    """CKAN's `CHECK (… jsonb_path_exists(extras, '$.* ? (@.type() <> "string")'))` is
    stored `'$.*?(@.type() != "string")'::jsonpath` (keys quoted, `lax` dropped, `$x` as
    `$"x"`): read as written, `diff` and a static audit reported a difference. A changed
    path still differs (`>` against `>=`)."""
    script = """
        CREATE TABLE package (id text PRIMARY KEY, extras jsonb);
        ALTER TABLE package ADD CONSTRAINT package_flat_extras CHECK (
            NOT jsonb_path_exists(extras, '$.* ? (@.type() <> "string")'));
        ALTER TABLE package ADD CONSTRAINT package_extras_keys CHECK (
            extras @? 'lax $.a.b[*] ? (@ > 1 && @ < $max)' OR jsonb_path_match(
                extras, 'exists($.tags ? (@ starts with "x"))', '{"max": 5}'));
    """
    assert _differences(make_db, script) == []
    changed = script.replace("(@ > 1 &&", "(@ >= 1 &&")
    catalog = live.introspect(make_db("s7", script))
    assert [d.object for d in diff_models(catalog, interpret(changed))] == [
        "constraint package_extras_keys on public.package"
    ]


def test_citext_operators_with_a_cast_or_a_literal_on_the_left(make_db) -> None:  # type: ignore[no-untyped-def]
    """graphile/starter's style: `email <> name::citext`, `'admin' <> email` and a text
    column cast to citext (`name::citext = current_user::citext`, in a CHECK, an index
    predicate, a policy) are stored with citext's own operator, `OPERATOR(public.<>)`. Only
    a citext column on the left meeting a literal or a citext column was qualified: a static
    false FAIL. `name::text ~ 'x'` keeps pg_catalog's operator (a changed CHECK differs)."""
    script = """
        CREATE EXTENSION citext;
        CREATE TABLE app_users (id int, username citext, name text,
            CONSTRAINT username_not_name CHECK (username <> name::citext),
            CONSTRAINT not_admin CHECK ('admin' <> username));
        ALTER TABLE app_users ADD CONSTRAINT name_not_root CHECK (name::citext <> 'root');
        CREATE INDEX app_users_named_idx ON app_users (id) WHERE name::citext <> 'x';
        ALTER TABLE app_users ENABLE ROW LEVEL SECURITY;
        CREATE POLICY self ON app_users USING (name::citext = current_user::citext);
        CREATE POLICY named ON app_users USING ('x' = name::citext);
    """
    assert _differences(make_db, script) == []
    catalog = live.introspect(make_db("s7", script))
    changed = script.replace("CHECK (name::citext <> 'root')", "CHECK (name::text <> 'root')")
    assert [d.object for d in diff_models(catalog, interpret(changed))] == [
        "constraint name_not_root on public.app_users"
    ]


def _refused_as_psql_f(dsn: str, script: str) -> list[int]:
    """Run ``script`` as `psql -f` does (each statement on its own, a refused one skipped);
    the lines PostgreSQL refused."""
    from schema_audit.sources.statements import split_statements

    refused = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for stmt in split_statements(script):
            try:
                conn.execute(stmt.sql)
            except psycopg.Error:
                refused.append(stmt.line)
    return refused


def test_an_on_select_rule_turns_the_table_into_a_view(make_db) -> None:  # type: ignore[no-untyped-def]
    """Old pg_dump output makes a view as a table plus `CREATE RULE "_RETURN" AS ON SELECT
    … DO INSTEAD SELECT …`; PostgreSQL turns the empty table into a view (its grants and
    comment kept), and refuses another rule name, an action other than INSTEAD SELECT, a
    table with indexes, or a SELECT whose columns differ. Statically the statement was not
    interpreted (the relation's findings DEFERRED, `diff` showing a table for a view)."""
    script = """
        CREATE TABLE accounts (id integer PRIMARY KEY, name text, secret text);
        CREATE TABLE account_names (id integer, name text);
        COMMENT ON TABLE account_names IS 'names only';
        GRANT SELECT ON account_names TO PUBLIC;
        CREATE RULE "_RETURN" AS ON SELECT TO account_names DO INSTEAD
            SELECT accounts.id, accounts.name FROM accounts;
        CREATE VIEW named_again AS SELECT * FROM account_names;
        CREATE TABLE wrong_name (id integer, name text);
        CREATE RULE "other" AS ON SELECT TO wrong_name DO INSTEAD SELECT id, name FROM accounts;
        CREATE RULE "_RETURN" AS ON SELECT TO wrong_name DO INSTEAD SELECT name, id FROM accounts;
        CREATE RULE "_RETURN" AS ON SELECT TO wrong_name DO INSTEAD SELECT id FROM accounts;
        CREATE RULE "_RETURN" AS ON SELECT TO wrong_name DO ALSO SELECT id, name FROM accounts;
        CREATE TABLE indexed (id integer PRIMARY KEY, name text);
        CREATE RULE "_RETURN" AS ON SELECT TO indexed DO INSTEAD SELECT id, name FROM accounts;
    """
    dsn = make_db("s7")
    refused = _refused_as_psql_f(dsn, script)
    static = interpret(script)
    assert [u.line for u in static.unapplied if u.kind == "error"] == refused
    assert refused == [10, 11, 12, 13, 15]
    assert [u for u in static.unapplied if u.kind != "error"] == []
    assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []
    view = static.views["public.account_names"]
    assert view.comment == "names only" and "public.account_names" not in static.tables


def test_a_column_a_rule_uses_is_not_dropped_without_cascade(make_db) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL records a rule's dependencies: the columns `NEW.x` / `OLD.x` name, the
    relations its actions read or write, the columns an INSERT / UPDATE writes or its WHERE
    names. DROP COLUMN / DROP TABLE of one is refused without CASCADE (which drops the
    rule), ALTER TYPE always; a renamed column is still used. Statically every one was
    applied: columns and tables PostgreSQL kept were missing (a false FAIL)."""
    script = """
        CREATE TABLE t (id int, name text, note text, extra text);
        CREATE TABLE log (tid int, what text, at_note text);
        CREATE RULE t_log AS ON UPDATE TO t DO ALSO INSERT INTO log (tid, what) VALUES (new.id, old.name);
        CREATE RULE t_del AS ON DELETE TO t WHERE old.note IS NOT NULL DO INSTEAD NOTHING;
        CREATE TABLE audit (id int, n int);
        CREATE RULE t_ins AS ON INSERT TO t DO ALSO UPDATE audit SET n = n + 1 WHERE audit.id = new.id;
        ALTER TABLE t DROP COLUMN name;
        ALTER TABLE t DROP COLUMN note;
        ALTER TABLE t DROP COLUMN extra;
        ALTER TABLE log DROP COLUMN what;
        ALTER TABLE log DROP COLUMN at_note;
        ALTER TABLE t ALTER COLUMN id TYPE bigint;
        DROP TABLE log;
        DROP TABLE audit;
        ALTER TABLE audit DROP COLUMN n;
        ALTER TABLE t RENAME COLUMN note TO nt;
        ALTER TABLE t DROP COLUMN nt;
        ALTER TABLE t DROP COLUMN nt CASCADE;
        DROP TABLE log CASCADE;
        ALTER TABLE t DROP COLUMN name;
    """
    dsn = make_db("s7")
    refused = _refused_as_psql_f(dsn, script)
    static = interpret(script)
    assert [u.line for u in static.unapplied if u.kind == "error"] == refused
    assert refused == [8, 9, 11, 13, 14, 15, 16, 18]
    assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []
    assert [s.split(": ", 1)[1].split(" is not")[0] for s in static.blind_spots] == [
        "rule t_ins on public.t"
    ]


def test_a_relation_name_an_outer_query_uses_is_printed_with_a_number(make_db) -> None:  # type: ignore[no-untyped-def]
    """PostgREST's fixtures (`WHERE projects.id = (SELECT id FROM projects)`): PostgreSQL
    prints a relation of a subquery, WITH query or EXISTS under a name no enclosing level
    uses (`projects projects_1`, an alias too: `p p_1`), its columns qualified by it; a view
    replaced by one reading itself does not depend on itself. Statically the names were
    kept, and the view read itself (`diff`: a false difference in the query and `reads`)."""
    script = """
        CREATE TABLE projects (id int PRIMARY KEY, client_id int);
        CREATE VIEW bad_subquery AS SELECT * FROM projects WHERE id = (SELECT id FROM projects);
        CREATE VIEW aliased AS
            SELECT p.id FROM projects p WHERE EXISTS (SELECT 1 FROM projects p WHERE p.id = 1);
        CREATE VIEW siblings AS SELECT id FROM projects
            WHERE id IN (SELECT id FROM projects WHERE id > 0)
            AND id IN (SELECT projects.client_id FROM projects);
        CREATE VIEW with_query AS
            WITH x AS (SELECT id FROM projects) SELECT projects.id FROM projects, x;
        CREATE VIEW cte_named AS WITH projects AS (SELECT 1 AS id)
            SELECT projects.id FROM projects, (SELECT id FROM public.projects) s;
        CREATE VIEW branches AS SELECT id FROM projects
            UNION SELECT id FROM projects p WHERE p.id IN (SELECT projects.id FROM projects);
        CREATE VIEW infinite_recursion AS SELECT * FROM projects;
        CREATE OR REPLACE VIEW infinite_recursion AS SELECT * FROM infinite_recursion;
    """
    assert _queries_apart(make_db, script) == {}


def test_an_enum_found_on_a_non_public_search_path_is_its_schemas(make_db) -> None:  # type: ignore[no-untyped-def]
    """PostgREST's fixtures create `visit_type` under `SET search_path = test` and use it
    unqualified: the catalog prints the column's type `test.visit_type` (a public one bare).
    The static type stayed `visit_type` (`diff` and a static audit: a false FAIL), and a
    later `ALTER TYPE test.visit_type RENAME` did not reach the column."""
    script = """
        CREATE SCHEMA test;
        SET search_path = test, pg_catalog;
        CREATE TYPE visit_type AS ENUM ('vacation', 'work');
        CREATE TABLE visits (id int, visit_type visit_type, history visit_type[], note text);
        ALTER TABLE visits ALTER COLUMN note TYPE visit_type USING note::visit_type;
        SET search_path = public;
        CREATE TYPE mood AS ENUM ('ok');
        CREATE TABLE people (mood mood, last_visit test.visit_type);
        ALTER TYPE test.visit_type RENAME TO kind_of_visit;
    """
    dsn = make_db("s7", script)
    static = interpret(script)
    assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []
    assert static.tables["test.visits"].columns["history"].type == "test.kind_of_visit[]"


def test_a_view_moved_by_set_schema_is_followed(make_db) -> None:  # type: ignore[no-untyped-def]
    """sqlc's `ddl_alter_materialized_views_set_schema` fixture: `ALTER MATERIALIZED VIEW
    something SET SCHEMA computed_tables` was "not modelled" (the view's findings DEFERRED,
    `diff` naming it in both schemas). The view moves now, a materialized view's indexes
    with it, and views reading it print its new schema; refused as PostgreSQL refuses a
    VIEW command on a materialized view and the reverse, a missing one, a name taken."""
    script = """
        CREATE TABLE events (id int, event_type text NOT NULL, created_at timestamptz);
        CREATE MATERIALIZED VIEW something AS
            SELECT * FROM events WHERE event_type = 'sale' ORDER BY created_at DESC;
        CREATE INDEX something_idx ON something (id);
        CREATE VIEW sales AS SELECT id FROM events;
        CREATE VIEW on_top AS SELECT s.id, x.id AS sid FROM something s, sales x;
        CREATE SCHEMA computed_tables;
        ALTER VIEW something SET SCHEMA computed_tables;
        ALTER MATERIALIZED VIEW sales SET SCHEMA computed_tables;
        ALTER MATERIALIZED VIEW something SET SCHEMA computed_tables;
        ALTER VIEW IF EXISTS nothing SET SCHEMA computed_tables;
        ALTER VIEW nothing SET SCHEMA computed_tables;
        CREATE VIEW computed_tables.sales AS SELECT 1 AS one;
        ALTER VIEW sales SET SCHEMA computed_tables;
        CREATE VIEW later AS SELECT * FROM computed_tables.something;
    """
    dsn = make_db("s7")
    refused = _refused_as_psql_f(dsn, script)
    static = interpret(script)
    assert [u.line for u in static.unapplied if u.kind == "error"] == refused
    assert refused == [9, 10, 13, 15]
    assert [u for u in static.unapplied if u.kind != "error"] == []
    assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []
    catalog = live.introspect(dsn)
    for key, view in catalog.views.items():
        assert views_equal(view.definition, static.views[key].definition) is True, key


def test_distinct_on_is_qualified_as_postgresql_prints_it(make_db) -> None:  # type: ignore[no-untyped-def]
    """Tamarou/Registry's `pricing_relationship_current_state`: `WITH latest_events AS
    (SELECT DISTINCT ON (relationship_id) …)` is stored `DISTINCT ON (events.relationship_id)`;
    the static query left the DISTINCT ON expression unqualified (`diff`: the queries differ)."""
    script = """
        CREATE TABLE pricing_relationship_events (relationship_id int, kind text, at timestamptz);
        CREATE VIEW latest AS WITH l AS (
            SELECT DISTINCT ON (relationship_id) relationship_id, kind, at
            FROM pricing_relationship_events ORDER BY relationship_id, at DESC)
            SELECT l.relationship_id FROM l WHERE l.kind <> 'x';
    """
    assert _queries_apart(make_db, script) == {}
