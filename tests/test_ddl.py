"""The DDL interpreter, statement family by statement family, and against a real server."""

from __future__ import annotations

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret


def test_implicit_names_follow_postgresql() -> None:
    m = interpret("""
        CREATE TABLE p (id int PRIMARY KEY, a int, b int, UNIQUE (a, b));
        CREATE TABLE t (id serial PRIMARY KEY, a int CHECK (a > 0), b int, c int REFERENCES p (id),
                        d text UNIQUE, UNIQUE (a, b), CHECK (a >= 0 AND a <= 1), CHECK (a > b),
                        FOREIGN KEY (a, b) REFERENCES p (a, b));
        CREATE INDEX ON t (a); CREATE INDEX ON t (a); CREATE INDEX ON t (lower(d));
    """)
    t = m.tables["public.t"]
    assert t.primary_key.name == "t_pkey"
    assert sorted(t.checks) == ["t_a_check", "t_a_check1", "t_check"]
    assert sorted(t.uniques) == ["t_a_b_key", "t_d_key"]
    assert sorted(t.foreign_keys) == ["t_a_b_fkey", "t_c_fkey"]
    assert {"t_a_idx", "t_a_idx1", "t_lower_idx"} <= set(t.indexes)
    assert (
        t.columns["id"].default == "nextval('public.t_id_seq'::regclass)"
        and not t.columns["id"].nullable
    )
    long = interpret(f"CREATE TABLE {'x' * 60} ({'y' * 40} int UNIQUE)").tables[
        f"public.{'x' * 60}"
    ]
    assert list(long.uniques) == ["x" * 29 + "_" + "y" * 29 + "_key"]


def test_rename_column_carries_indexes_constraints_and_foreign_keys() -> None:
    m = interpret("""
        CREATE TABLE a (id int PRIMARY KEY, code text UNIQUE);
        CREATE TABLE b (id int, a_code text REFERENCES a (code), note text);
        CREATE INDEX b_note_idx ON b (note) INCLUDE (a_code);
        ALTER TABLE a RENAME COLUMN code TO channel_code;
        ALTER TABLE b RENAME COLUMN a_code TO channel;
    """)
    a, b = m.tables["public.a"], m.tables["public.b"]
    assert list(a.columns) == ["id", "channel_code"]
    assert a.uniques["a_code_key"].columns == ["channel_code"]  # the name stays, the column follows
    fk = b.foreign_keys["b_a_code_fkey"]
    assert (fk.columns, fk.ref_columns) == (["channel"], ["channel_code"])
    assert b.indexes["b_note_idx"].include == ["channel"]
    assert [p.action for p in a.columns["channel_code"].provenance] == ["created", "renamed"]


def test_drop_column_drops_dependent_indexes_and_constraints() -> None:
    m = interpret("""
        CREATE TABLE t (id int PRIMARY KEY, a int CHECK (a > 0), b int);
        CREATE INDEX t_a_b_idx ON t (a, b);
        ALTER TABLE t DROP COLUMN a;
    """)
    t = m.tables["public.t"]
    assert list(t.columns) == ["id", "b"] and t.checks == {} and "t_a_b_idx" not in t.indexes


def test_table_rename_and_drop_cascade() -> None:
    m = interpret("""
        CREATE TABLE a (id int PRIMARY KEY);
        CREATE TABLE b (a_id int REFERENCES a);
        ALTER TABLE a RENAME TO accounts;
        CREATE VIEW v AS SELECT * FROM b;
        DROP TABLE b CASCADE;
    """)
    assert "public.accounts" in m.tables and "public.a" not in m.tables
    assert "public.v" not in m.views


def test_rls_policies_triggers_grants_functions() -> None:
    m = interpret("""
        CREATE ROLE app_rw; CREATE ROLE app_user IN ROLE app_rw;
        CREATE TABLE t (tenant_id uuid NOT NULL);
        ALTER TABLE t ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
        CREATE POLICY p ON t AS RESTRICTIVE FOR SELECT TO app_rw USING (tenant_id = current_setting('x')::uuid);
        ALTER POLICY p ON t WITH CHECK (true);
        CREATE FUNCTION guard() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
            AS $$ BEGIN RAISE EXCEPTION 'no'; END $$;
        CREATE TRIGGER g BEFORE UPDATE OR DELETE ON t FOR EACH ROW EXECUTE FUNCTION guard();
        ALTER TABLE t DISABLE TRIGGER g;
        GRANT ALL ON t TO app_rw; REVOKE UPDATE, DELETE ON t FROM app_rw;
    """)
    t = m.tables["public.t"]
    assert (t.rls_enabled, t.rls_forced) == (True, True)
    p = t.policies["p"]
    assert (p.command, p.permissive, p.roles, p.with_check) == ("SELECT", False, ["app_rw"], "TRUE")
    g = t.triggers["g"]
    assert (g.timing, g.events, g.level, g.function, g.enabled) == (
        "BEFORE",
        ["UPDATE", "DELETE"],
        "ROW",
        "guard",
        "DISABLED",
    )
    assert sorted(t.privileges_of("app_rw")) == [
        "INSERT",
        "REFERENCES",
        "SELECT",
        "TRIGGER",
        "TRUNCATE",
    ]
    fn = m.functions["public.guard()"]
    assert fn.security_definer and fn.raises and fn.config == ["search_path=pg_catalog"]
    assert m.roles["app_user"].member_of == ["app_rw"]


def test_unapplied_statements_keep_file_line_and_later_statements_still_apply() -> None:
    m = interpret(
        "CREATE TABLE a (id int);\n"
        "DO $$ BEGIN EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', 'a'); END $$;\n"
        "INSERT INTO a VALUES (1);\n"
        "CREATE TABLE broken (;\n"
        "ALTER TABLE missing ADD COLUMN x int;\n"
        "ALTER TABLE a ADD COLUMN y int;\n",
        file="m.sql",
    )
    assert list(m.tables["public.a"].columns) == ["id", "y"]
    # the DO block is interpreted (issue 13): applied, and listed with what it ran
    assert m.tables["public.a"].rls_enabled
    [block] = m.dynamic_blocks
    assert (block.line, block.applied, block.executed) == (
        2,
        True,
        ["ALTER TABLE a ENABLE ROW LEVEL SECURITY"],
    )
    got = [(u.kind, u.line, u.file) for u in m.unapplied]
    assert got == [("data", 3, "m.sql"), ("error", 4, "m.sql"), ("error", 5, "m.sql")]
    # a statement on a table the model lacks: everything about that table is open
    assert m.unapplied[2].may_affect == ["public.missing"]
    assert "does not exist" in m.unapplied[2].reason


def test_pg_dump_noise_is_accepted() -> None:
    m = interpret(
        "\\restrict abc\nSET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n"
        "CREATE TABLE public.t (id integer NOT NULL);\nALTER TABLE public.t OWNER TO app;\n"
        "CREATE SEQUENCE public.t_id_seq AS integer START WITH 1;\n"
        "ALTER SEQUENCE public.t_id_seq OWNED BY public.t.id;\n"
        "ALTER TABLE ONLY public.t ALTER COLUMN id SET DEFAULT nextval('public.t_id_seq'::regclass);\n"
        "ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);\n"
        "COMMENT ON TABLE public.t IS 'a | table';\n\\connect other\n"
    )
    t = m.tables["public.t"]
    assert t.owner == "app" and t.primary_key.name == "t_pkey" and t.comment == "a | table"
    assert m.sequences["public.t_id_seq"].owned_by == "t.id"
    assert m.unapplied == []


def test_rich_script_equals_what_postgresql_builds(make_db) -> None:  # type: ignore[no-untyped-def]
    script = """
        CREATE SCHEMA audit;
        CREATE TYPE mood AS ENUM ('sad', 'ok'); ALTER TYPE mood ADD VALUE 'happy';
        CREATE TABLE "Order Items" (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "Qty" int NOT NULL DEFAULT 1,
            price numeric(10,2) CHECK (price >= 0), m mood, total numeric GENERATED ALWAYS AS (price * 2) STORED);
        CREATE TABLE audit.events (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), item_id bigint
            REFERENCES "Order Items" (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED, at timestamptz NOT NULL);
        CREATE TABLE events (id int PRIMARY KEY, tenant_id uuid NOT NULL, kind varchar(20), payload jsonb);
        CREATE UNIQUE INDEX events_kind ON events (tenant_id, kind) INCLUDE (payload) WHERE kind IS NOT NULL;
        CREATE INDEX events_lower ON events (lower(kind) DESC NULLS LAST);
        ALTER TABLE events ADD CONSTRAINT events_kind_chk CHECK (kind IN ('a', 'b'));
        ALTER TABLE events ALTER COLUMN kind SET NOT NULL, ALTER COLUMN kind TYPE varchar(40);
        ALTER TABLE events RENAME COLUMN kind TO category;
        ALTER TABLE events ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant ON events USING (tenant_id = current_setting('app.t')::uuid)
            WITH CHECK (tenant_id = current_setting('app.t')::uuid);
        CREATE MATERIALIZED VIEW mv AS SELECT tenant_id, count(*) AS n FROM events GROUP BY tenant_id;
        CREATE UNIQUE INDEX mv_tenant ON mv (tenant_id);
        CREATE VIEW v AS SELECT e.id, i."Qty" FROM events e, "Order Items" i;
        CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER events_stamp AFTER INSERT OR UPDATE OF category ON events FOR EACH ROW
            WHEN (NEW.category IS NOT NULL) EXECUTE FUNCTION stamp();
        ALTER TABLE events DROP CONSTRAINT events_kind_chk;
        COMMENT ON COLUMN events.category IS 'kind of event';
    """
    dsn = make_db("ddl", script)
    live_model = live.introspect(dsn)
    static = interpret(script)
    differences = [str(d) for d in diff_models(live_model, static)]
    assert differences == [], "\n".join(differences)
    assert static.enums["public.mood"].labels == ["sad", "ok", "happy"]
    assert static.tables["public.events"].columns["category"].comment == "kind of event"


def test_dropping_a_column_drops_its_column_grants() -> None:
    """Found by test_fuzz_ddl: the column's ACL goes with the column, as in the catalog."""
    from schema_audit.sources.ddl import DdlInterpreter

    interpreter = DdlInterpreter()
    interpreter.apply_sql(
        "CREATE TABLE t1 (id integer PRIMARY KEY, a integer);"
        "GRANT UPDATE (a) ON t1 TO fuzz_r; ALTER TABLE t1 DROP COLUMN a;"
    )
    assert interpreter.model.tables["public.t1"].column_grants == {}


def test_set_schema_of_an_unmodelled_object_is_listed_with_its_reason() -> None:
    """ALTER FUNCTION … SET SCHEMA is not modelled: listed as such, naming what it may move
    (it used to fail inside the interpreter and be listed as an AttributeError)."""
    m = interpret(
        "CREATE SCHEMA app;\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';\n"
        "ALTER FUNCTION f() SET SCHEMA app;\n"
    )
    [unapplied] = m.unapplied
    assert (unapplied.kind, unapplied.line) == ("unsupported", 3)
    assert unapplied.reason == "SET SCHEMA of function is not modelled"
    assert unapplied.effects, "what it may change is named, not empty"


def test_dropping_a_serial_column_drops_its_sequence(make_db) -> None:  # type: ignore[no-untyped-def]
    """Found on an Alembic project that replaced SERIAL ids by UUIDs (add column, drop the old id,
    rename): PostgreSQL drops the sequence OWNED BY the dropped column; the static model kept it,
    so `diff` of the history against the migrated database reported a sequence that is not there."""
    script = """
        CREATE TABLE item (id SERIAL PRIMARY KEY, n serial, title varchar NOT NULL);
        ALTER TABLE item ADD COLUMN new_id uuid;
        ALTER TABLE item DROP COLUMN id;
        ALTER TABLE item RENAME COLUMN new_id TO id;
    """
    dsn = make_db("ddl", script)
    static = interpret(script)
    differences = [str(d) for d in diff_models(live.introspect(dsn), static)]
    assert differences == [], "\n".join(differences)
    assert sorted(static.sequences) == ["public.item_n_seq"]


def test_create_sequence_owned_by_is_read_as_owned(make_db) -> None:  # type: ignore[no-untyped-def]
    """CREATE SEQUENCE … OWNED BY t.c records the owning column, as ALTER SEQUENCE … OWNED BY
    does: PostgreSQL shows the sequence owned by t.c and drops it with the column."""
    script = """
        CREATE TABLE t (c int, d int, e int);
        CREATE SEQUENCE s OWNED BY t.c;
        CREATE SEQUENCE s_gone OWNED BY t.d;
        CREATE SEQUENCE s_none OWNED BY t.e;
        ALTER SEQUENCE s_none OWNED BY NONE;
        ALTER TABLE t DROP COLUMN d;
    """
    dsn = make_db("ddl", script)
    static = interpret(script)
    differences = [str(d) for d in diff_models(live.introspect(dsn), static)]
    assert differences == [], "\n".join(differences)
    assert static.sequences["public.s"].owned_by == "t.c"
    assert sorted(static.sequences) == ["public.s", "public.s_none"]


def test_function_signature_and_result_as_the_catalog_prints_them(make_db) -> None:  # type: ignore[no-untyped-def]
    """A function's identity arguments and result read statically equal what PostgreSQL prints
    (pg_get_function_identity_arguments / pg_get_function_result): RETURNS TABLE(…) and SETOF
    (statically `record` and the bare type before), OUT parameters (part of the identity), a
    procedure's IN arguments, types without their modifier and quoted argument names; a DROP
    FUNCTION naming a typmod'd overload drops that overload only."""
    script = """
        CREATE TABLE t (id bigint, name text);
        CREATE FUNCTION f_table(x int) RETURNS TABLE(id bigint, "Odd Name" char(2))
            LANGUAGE sql AS 'SELECT 1::bigint, ''a''';
        CREATE FUNCTION f_setof() RETURNS SETOF t LANGUAGE sql AS 'SELECT * FROM t';
        CREATE FUNCTION f_out(a int, OUT b int, OUT c text) LANGUAGE sql AS 'SELECT 1, ''x''';
        CREATE FUNCTION f_out1(INOUT a int) LANGUAGE sql AS 'SELECT 1';
        CREATE FUNCTION f_out_setof(OUT b int, OUT c text) RETURNS SETOF record
            LANGUAGE sql AS 'SELECT 1, ''x''';
        CREATE FUNCTION f_mods("Odd" varchar(10)) RETURNS numeric(5,1) LANGUAGE sql AS 'SELECT 1';
        CREATE FUNCTION f_mods(n int) RETURNS numeric(5,1) LANGUAGE sql AS 'SELECT 1';
        DROP FUNCTION f_mods(varchar(20));
        GRANT EXECUTE ON FUNCTION f_out(int) TO PUBLIC;
        CREATE PROCEDURE p_out(a int, OUT b int) LANGUAGE sql AS 'SELECT 1';
    """
    dsn = make_db("ddl", script)
    static = interpret(script)
    differences = [str(d) for d in diff_models(live.introspect(dsn), static)]
    assert differences == [], "\n".join(differences)
    assert {sig: fn.returns for sig, fn in static.functions.items()} == {
        "public.f_table(x integer)": 'TABLE(id bigint, "Odd Name" character)',
        "public.f_setof()": "SETOF t",
        "public.f_out(a integer, OUT b integer, OUT c text)": "record",
        "public.f_out1(INOUT a integer)": "integer",
        "public.f_out_setof(OUT b integer, OUT c text)": "SETOF record",
        "public.f_mods(n integer)": "numeric",
        "public.p_out(IN a integer, OUT b integer)": "",
    }
