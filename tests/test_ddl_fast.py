"""The statements read from the parser's plain data (``sources.ddl.fast``) give the model the
tree handlers give, byte for byte, and the model PostgreSQL's catalog shows.

Every comparison reads the same SQL twice, once as shipped and once with the plain-data
readers switched off (every statement through its pglast tree), and compares the whole
model's ``repr``: every object, every provenance, every unapplied statement.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic import generate
from test_static_equals_live import _live_and_dump, assert_same

from schema_audit.sources.ddl import fast, interpret
from schema_audit.sources.ddl import interpreter as interpreter_module

TESTS = Path(__file__).resolve().parent


def _read_both(sql: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, Counter]:
    """(model as shipped, model through trees only, statement kinds read from plain data)."""
    read: Counter = Counter()
    real = fast.apply_fast

    def counting(interp, parsed):  # type: ignore[no-untyped-def]
        kind = fast._kind(parsed)
        done = real(interp, parsed)
        read[kind] += done
        return done

    with monkeypatch.context() as patch:
        patch.setattr(interpreter_module, "apply_fast", counting)
        shipped = repr(interpret(sql, file="x.sql"))
    with monkeypatch.context() as patch:
        patch.setattr(interpreter_module, "apply_fast", lambda interp, parsed: False)
        trees = repr(interpret(sql, file="x.sql"))
    return shipped, trees, read


def test_every_sql_fixture_reads_the_same_from_plain_data(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    paths = sorted(TESTS.rglob("*.sql"))
    assert len(paths) > 100
    read: Counter = Counter()
    for path in paths:
        shipped, trees, counted = _read_both(
            path.read_text(encoding="utf-8", errors="replace"), monkeypatch
        )
        assert shipped == trees, path
        read += counted
    # the comparison means something: each reader took part
    kinds = ("CreateStmt", "IndexStmt", "GrantStmt", "AlterTableStmt", "CreatePolicyStmt")
    assert min(read[k] for k in kinds) >= 10, read


def test_the_benchmark_history_reads_the_same_and_without_trees(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    sql = ";\n".join(s for _, text in generate(60).files for s in [text]) + ";\n"
    shipped, trees, read = _read_both(sql, monkeypatch)
    assert shipped == trees
    assert read["CreateStmt"] == 60 and read["IndexStmt"] > 150 and read["GrantStmt"] == 120, read
    # RLS on every other table, a later ADD COLUMN in every third file (RENAME: the tree's)
    assert read["AlterTableStmt"] == 63 and read["CreatePolicyStmt"] == 30, read


# Drawn statements: mostly shapes the plain-data readers take, with every kind of clause
# they leave to the tree handlers mixed in (a statement may be half read, then handed over).
PRELUDE = (
    "CREATE SCHEMA s;\nCREATE TYPE mood AS ENUM ('a');\nCREATE TYPE s.mood AS ENUM ('a');\n"
    'CREATE TABLE a (id int PRIMARY KEY, x text);\nCREATE TABLE b (id int, x text COLLATE "C" UNIQUE);\n'
)
TABLES = ["a", "b", "n1", "public.n2", "s.n3"]
COLUMN_TYPES = [
    "int",
    "bigint",
    "text",
    "varchar(10)",
    "numeric(12,2)",
    "int[]",
    "timestamptz",
    "serial",
    "bigserial",
    "character varying",
    "numeric",
    "text[][]",
    "timestamp(3) with time zone",
    "time(2)",
    "interval(3)",
    '"char"',
    "character(3)",
    "bpchar",
    "bit varying(5)",
    "double precision",
    "public.mood",
    "s.mood",
    '"Mood"',
    "jsonb",
]
COMMON_CLAUSES = [
    "NOT NULL",
    "NULL",
    "DEFAULT 0",
    "DEFAULT now()",
    "PRIMARY KEY",
    "UNIQUE",
    "CHECK (id > 0)",
    "REFERENCES a (id)",
    'COLLATE "C"',
]
RARE_CLAUSES = [
    "DEFAULT 'x'",
    "DEFAULT ''",
    "DEFAULT -1.5",
    "DEFAULT (1 + 2)",
    "UNIQUE NULLS NOT DISTINCT",
    "CHECK (id > x)",
    "CONSTRAINT named CHECK (x IS NOT NULL)",
    "REFERENCES a ON DELETE CASCADE",
    "REFERENCES b (x) MATCH FULL DEFERRABLE INITIALLY DEFERRED",
    "GENERATED ALWAYS AS IDENTITY",
    "GENERATED ALWAYS AS (id * 2) STORED",
    "DEFERRABLE",
    "COLLATE pg_catalog.default",
]
TABLE_CLAUSES = [
    "PRIMARY KEY (id)",
    "PRIMARY KEY (id, x)",
    "UNIQUE (x)",
    "UNIQUE (id) INCLUDE (x)",
    "CHECK (x > id)",
    "CONSTRAINT k UNIQUE (x)",
    "FOREIGN KEY (x) REFERENCES a (id)",
    "EXCLUDE USING gist (id WITH =)",
    "LIKE a",
]


@st.composite
def _mostly(draw, common: list[str], rare: list[str]) -> str:  # type: ignore[no-untyped-def]
    """One of ``common`` nine times in ten, else one of ``rare``."""
    return draw(st.sampled_from(common if draw(st.integers(0, 9)) else rare))


@st.composite
def create_table(draw) -> str:  # type: ignore[no-untyped-def]
    name = draw(st.sampled_from(TABLES))
    elements = []
    columns = draw(st.lists(st.sampled_from(["id", "x", "y", '"Y"']), max_size=4))
    for column in columns:
        clauses = draw(st.lists(_mostly(COMMON_CLAUSES, RARE_CLAUSES), max_size=2))
        kind = draw(_mostly(COLUMN_TYPES[:9], COLUMN_TYPES[9:]))
        elements.append(" ".join([column, kind, *clauses]))
    for clause in draw(st.lists(_mostly(TABLE_CLAUSES[:-2], TABLE_CLAUSES[-2:]), max_size=2)):
        elements.insert(draw(st.integers(0, len(elements))), clause)
    head = draw(
        _mostly(
            ["CREATE TABLE", "CREATE TABLE IF NOT EXISTS"],
            ["CREATE UNLOGGED TABLE", "CREATE TEMP TABLE"],
        )
    )
    return f"{head} {name} ({', '.join(elements)})"


@st.composite
def create_index(draw) -> str:  # type: ignore[no-untyped-def]
    keys = []
    for column in draw(
        st.lists(
            _mostly(["id", "x", "lower(x)", "(id + 1)", '"Y"'], ["(x || 'a')", "coalesce(x, y)"]),
            min_size=1,
            max_size=3,
        )
    ):
        order = draw(_mostly(["", " DESC", " ASC"], [" NULLS FIRST", " NULLS LAST"]))
        extra = draw(
            _mostly(
                ["", "", ' COLLATE "C"'],
                [" text_pattern_ops", ' COLLATE "C"', " COLLATE pg_catalog.default", " int4_ops"],
            )
        )
        keys.append(column + extra + order)
    head = draw(
        st.sampled_from(["CREATE INDEX", "CREATE UNIQUE INDEX", "CREATE INDEX IF NOT EXISTS"])
    )
    name = draw(_mostly(["ix ", "a_id_idx ", "", "n1_x_idx "], ["ix2 ", "CONCURRENTLY "]))
    only = draw(_mostly([""], ["ONLY "]))
    table = draw(st.sampled_from(TABLES))
    method = draw(_mostly([""], ["USING btree ", "USING hash ", "USING gin "]))
    tail = draw(
        _mostly(
            ["", " INCLUDE (x)", " WHERE x IS NOT NULL", " WHERE id > 0 AND x <> 'a'"],
            [
                " NULLS NOT DISTINCT",
                " WHERE x <> ''",
                " INCLUDE (lower(x))",
                " WITH (fillfactor = 70)",
            ],
        )
    )
    if head.endswith("EXISTS") and not name.strip():
        name = "ix "  # IF NOT EXISTS needs a name
    return f"{head} {name}ON {only}{table} {method}({', '.join(keys)}){tail}"


@st.composite
def grant(draw) -> str:  # type: ignore[no-untyped-def]
    privileges = draw(
        _mostly(
            ["SELECT", "SELECT, INSERT", "ALL", "TRUNCATE, REFERENCES"],
            ["ALL PRIVILEGES", "UPDATE (x)"],
        )
    )
    tables = ", ".join(draw(st.lists(st.sampled_from(TABLES), min_size=1, max_size=2)))
    roles = draw(_mostly(["r1", "PUBLIC", "r2, r1", '"R 3"'], ["CURRENT_USER"]))
    option = draw(st.sampled_from(["", " WITH GRANT OPTION"]))
    if draw(st.booleans()):
        return f"REVOKE {privileges} ON {tables} FROM {roles}"
    kind = draw(_mostly(["", "TABLE "], ["ALL TABLES IN SCHEMA "]))
    if kind.startswith("ALL"):
        tables = "public"
    return f"GRANT {privileges} ON {kind}{tables} TO {roles}{option}"


@st.composite
def alter_table(draw) -> str:  # type: ignore[no-untyped-def]
    commands = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(_mostly(["rls", "column", "constraint"], ["other"]))
        if kind == "rls":
            command = draw(
                st.sampled_from(
                    [
                        "ENABLE ROW LEVEL SECURITY",
                        "DISABLE ROW LEVEL SECURITY",
                        "FORCE ROW LEVEL SECURITY",
                        "NO FORCE ROW LEVEL SECURITY",
                    ]
                )
            )
        elif kind == "column":
            column = draw(st.sampled_from(["z", "x", "id", '"Z"']))
            clauses = draw(st.lists(_mostly(COMMON_CLAUSES, RARE_CLAUSES), max_size=2))
            kind = draw(_mostly(COLUMN_TYPES[:9], COLUMN_TYPES[9:]))
            head = draw(_mostly(["ADD COLUMN ", "ADD "], ["ADD COLUMN IF NOT EXISTS "]))
            command = head + " ".join([column, kind, *clauses])
        elif kind == "constraint":
            command = "ADD " + draw(
                _mostly(
                    TABLE_CLAUSES[:-2] + ["CONSTRAINT c1 CHECK (id > 0) NOT VALID"],
                    [
                        "CONSTRAINT fk FOREIGN KEY (id) REFERENCES a NOT VALID",
                        "UNIQUE USING INDEX ix",
                        "PRIMARY KEY USING INDEX ix",
                    ],
                )
            )
        else:
            command = draw(
                st.sampled_from(
                    [
                        "ALTER COLUMN x SET NOT NULL",
                        "DROP COLUMN IF EXISTS x",
                        "OWNER TO r1",
                        "ALTER COLUMN id TYPE bigint",
                    ]
                )
            )
        commands.append(command)
    head = draw(_mostly(["ALTER TABLE "], ["ALTER TABLE IF EXISTS ", "ALTER TABLE ONLY "]))
    table = draw(st.sampled_from([*TABLES, "missing"]))
    return f"{head}{table} {', '.join(commands)}"


@st.composite
def create_policy(draw) -> str:  # type: ignore[no-untyped-def]
    name = draw(st.sampled_from(["p1", "p2", '"P 3"']))
    table = draw(st.sampled_from([*TABLES, "missing"]))
    kind = draw(_mostly(["", " AS PERMISSIVE", " AS RESTRICTIVE"], [""]))
    command = draw(_mostly(["", " FOR SELECT", " FOR ALL", " FOR UPDATE"], [" FOR INSERT"]))
    roles = draw(_mostly(["", " TO r1", " TO PUBLIC", " TO r2, r1"], [" TO CURRENT_USER"]))
    predicates = ["id > 0", "x = current_setting('app.x')", "true", "x IS NOT NULL AND id <> 1"]
    subqueries = ["id IN (SELECT id FROM a)", "EXISTS (SELECT 1 FROM b WHERE b.id = id)"]
    using = draw(_mostly(predicates, subqueries))
    check = draw(_mostly(predicates, subqueries))
    clauses = draw(
        st.sampled_from(
            [
                f" USING ({using})",
                f" WITH CHECK ({check})",
                f" USING ({using}) WITH CHECK ({check})",
            ]
        )
    )
    if command == " FOR INSERT":
        clauses = f" WITH CHECK ({check})"
    return f"CREATE POLICY {name} ON {table}{kind}{command}{roles}{clauses}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(create_table(), create_index(), grant(), alter_table(), create_policy()),
        min_size=1,
        max_size=8,
    )
)
def test_drawn_statements_read_the_same_from_plain_data(statements) -> None:  # type: ignore[no-untyped-def]
    sql = PRELUDE + "".join(f"{s};\n" for s in statements)
    with pytest.MonkeyPatch.context() as monkeypatch:
        shipped, trees, _ = _read_both(sql, monkeypatch)
    assert shipped == trees, sql


# The shapes read from plain data, as a history writes them; PostgreSQL's catalog is the truth.
FAST_SHAPES = """
CREATE TABLE fa (
    id bigint PRIMARY KEY,
    code varchar(32) UNIQUE,
    amount numeric(12,2) NOT NULL DEFAULT 0 CHECK (amount >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    tags text[] COLLATE "C",
    at3 timestamp(3) without time zone,
    flag "char" NULL,
    n serial
);
CREATE TABLE fb (
    id int,
    a_id bigint REFERENCES fa ON DELETE CASCADE,
    x text DEFAULT 'none',
    y int,
    PRIMARY KEY (id),
    UNIQUE (id),
    CONSTRAINT fb_xy CHECK (y > id),
    FOREIGN KEY (a_id) REFERENCES fa (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX fa_ix0 ON fa (code DESC NULLS LAST, created_at NULLS FIRST);
CREATE UNIQUE INDEX fa_ix1 ON fa (amount) INCLUDE (code) WHERE code IS NOT NULL;
CREATE INDEX IF NOT EXISTS fa_ix1 ON fa (id);
CREATE INDEX fb_ix ON public.fb USING hash (x);
CREATE INDEX ON fa (lower(code) text_pattern_ops, created_at DESC);
CREATE INDEX ON fb (x COLLATE "C" DESC, (y + 1));
GRANT SELECT, INSERT ON fa, fb TO fast_ro;
GRANT ALL ON TABLE fb TO PUBLIC;
GRANT UPDATE ON fa TO fast_ro WITH GRANT OPTION;
REVOKE INSERT ON fb FROM fast_ro;
ALTER TABLE fa ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE fb ADD COLUMN z int NOT NULL DEFAULT 1 CHECK (z > 0), ADD CONSTRAINT fb_z_key UNIQUE (z);
ALTER TABLE fb ADD COLUMN IF NOT EXISTS z int;
ALTER TABLE IF EXISTS fb ADD CONSTRAINT fb_y_pos CHECK (y > 0) NOT VALID, ADD b_id bigint REFERENCES fb;
CREATE POLICY fa_tenant ON fa USING (code = current_setting('app.code')) WITH CHECK (amount >= 0);
CREATE POLICY fa_read ON fa AS RESTRICTIVE FOR SELECT TO fast_ro, PUBLIC USING (true);
CREATE POLICY fa_ro ON fa FOR UPDATE TO fast_ro USING (true);
ALTER POLICY fa_ro ON fa TO PUBLIC, fast_ro;
"""


def test_the_shapes_read_from_plain_data_equal_the_live_catalog(pg_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.MonkeyPatch.context() as monkeypatch:
        shipped, trees, read = _read_both(FAST_SHAPES, monkeypatch)
    assert shipped == trees
    assert read == Counter(
        CreateStmt=2, IndexStmt=6, GrantStmt=4, AlterTableStmt=4, CreatePolicyStmt=3
    ), read
    role = (  # roles are cluster-wide: kept
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fast_ro') "
        "THEN CREATE ROLE fast_ro; END IF; END $$"
    )
    live_model, _ = _live_and_dump(pg_server, tmp_path, "fast", role, FAST_SHAPES)
    static = interpret(FAST_SHAPES)
    assert_same(live_model, static)
    # and the facts themselves, so equal-but-empty models cannot pass
    fa, fb = static.tables["public.fa"], static.tables["public.fb"]
    assert [c.type for c in fa.columns.values()] == [
        "bigint",
        "character varying(32)",
        "numeric(12,2)",
        "timestamp with time zone",
        "text[]",
        "timestamp(3) without time zone",
        '"char"',
        "integer",
    ]
    assert fa.columns["n"].default == "nextval('public.fa_n_seq'::regclass)"
    assert (fb.primary_key.name, list(fb.uniques)) == ("fb_pkey", ["fb_z_key"])
    assert sorted(fb.foreign_keys) == ["fb_a_id_fkey", "fb_a_id_fkey1", "fb_b_id_fkey"]
    assert list(fa.indexes) == [
        "fa_pkey",
        "fa_code_key",
        "fa_ix0",
        "fa_ix1",
        "fa_lower_created_at_idx",
    ]
    assert [(k.expression, k.opclass) for k in fa.indexes["fa_lower_created_at_idx"].keys] == [
        ("lower(code)", "text_pattern_ops"),
        ("created_at", None),
    ]
    assert [(k.expression, k.collation) for k in fb.indexes["fb_x_expr_idx"].keys] == [
        ("x", "C"),
        ("y + 1", None),
    ]
    assert fa.indexes["fa_ix1"].where is not None and fa.indexes["fa_ix1"].include == ["code"]
    assert sorted((g.grantee, g.privilege) for g in fb.grants if g.grantee != "public") == [
        ("fast_ro", "SELECT")
    ]
    assert (fa.rls_enabled, fa.rls_forced, fb.rls_enabled) == (True, True, False)
    z = fb.columns["z"]
    assert (z.type, z.nullable, z.default) == ("integer", False, "1")
    assert list(fb.columns)[-2:] == ["z", "b_id"]
    assert fb.checks["fb_z_check"].expression == "z > 0" and fb.checks["fb_z_check"].validated
    assert not fb.checks["fb_y_pos"].validated
    assert "fb_z_key" in fb.uniques and fb.foreign_keys["fb_b_id_fkey"].ref_columns == ["id"]
    tenant, reader = fa.policies["fa_tenant"], fa.policies["fa_read"]
    assert (tenant.command, tenant.permissive, tenant.roles) == ("ALL", True, ["public"])
    assert tenant.using == "code = current_setting('app.code')"
    assert tenant.with_check == "amount >= 0"
    # PUBLIC among the roles: PostgreSQL keeps PUBLIC alone (ALTER POLICY too)
    assert (reader.command, reader.permissive, reader.roles) == ("SELECT", False, ["public"])
    assert fa.policies["fa_ro"].roles == ["public"]
    assert (reader.using, reader.with_check) == ("TRUE", None)


def test_an_expression_met_again_is_judged_for_its_own_table(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The same policy and partial-index expression on tables whose columns differ: what is
    remembered of an expression (its shape's numeric literals and column names) is never a
    verdict about a table, so the integer-meets-numeric and citext tables still go to the
    tree handlers (their casts and operators), the plain ones are read from plain data."""
    sql = (
        "CREATE TABLE plain (x int, y int);\n"
        "CREATE TABLE mixed (x int, y numeric);\n"
        "CREATE TABLE ci (x citext, y citext);\n"
        "CREATE TABLE plain2 (x int, y int);\n"
        + "".join(
            f"CREATE POLICY p ON {t} USING (x = y) WITH CHECK (x = y);\n"
            f"CREATE INDEX {t}_ix ON {t} (x) WHERE x = y;\n"
            f"CREATE INDEX {t}_ie ON {t} ((x * y), (x + y));\n"
            for t in ("plain", "mixed", "ci", "plain2")
        )
    )
    shipped, trees, read = _read_both(sql, monkeypatch)
    assert shipped == trees
    assert read["CreatePolicyStmt"] == 2, read  # plain and plain2: mixed and ci are the trees'
    assert read["IndexStmt"] == 4, read  # plain's and plain2's two: as the policies


MIXED_WHERE = """
CREATE TABLE fm (x int, y numeric, z int);
CREATE INDEX fm_ix ON fm (z) WHERE x = y;
CREATE INDEX fm_iz ON fm (x) WHERE x = z;
CREATE INDEX fm_ie ON fm ((x + y), (x + z));
"""


def test_a_partial_index_where_an_integer_meets_a_numeric_column_is_the_catalogs(
    pg_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL stores ``x = y`` (integer = numeric) as ``(x)::numeric = y``: the plain-data
    reader left that cast out of a partial index's predicate (the tree handler adds it)."""
    live_model, _ = _live_and_dump(pg_server, tmp_path, "fast_mixed", "SELECT 1", MIXED_WHERE)
    static = interpret(MIXED_WHERE)
    assert_same(live_model, static)
    indexes = static.tables["public.fm"].indexes
    assert indexes["fm_ix"].where == "CAST(x AS numeric) = y"
    assert indexes["fm_iz"].where == "x = z"
    assert [k.expression for k in indexes["fm_ie"].keys] == ["CAST(x AS numeric) + y", "x + z"]


# An integer or a numeric meeting a float column, a literal too, is cast to double precision:
# PostgreSQL 15 stores ``(f > (0)::double precision)``, ``(r = ('-1'::integer)::double
# precision)``, ``(f > (n)::double precision)`` and the index's ``WHERE (f > (0)::double
# precision)``; the tree handler writes those casts
FLOAT_LITERALS = """
CREATE TABLE fl (f double precision, r real, i int, n numeric);
CREATE POLICY fl_p ON fl USING (f > 0) WITH CHECK (r = -1);
CREATE POLICY fl_q ON fl USING (i > 0);
CREATE POLICY fl_n ON fl USING (f > n);
CREATE INDEX fl_ix ON fl (i) WHERE f > 0;
CREATE INDEX fl_iy ON fl (i) WHERE i > 0;
"""


def test_an_integer_literal_meeting_a_float_column_is_read_as_the_tree_handler_reads_it(
    pg_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plain-data reader took ``f > 0`` on a float column and wrote it without the cast
    the tree handler writes (a model other than the tree handler's: the drawn statements of
    ``test_drawn_statements_read_the_same_from_plain_data`` found it), and ``f > n`` against a
    numeric column without the cast PostgreSQL stores on ``n`` (a false FAIL of the policy
    against the catalog's); a float or an interval column in a policy or an index predicate is
    now the tree handler's, as PostgreSQL stores it."""
    shipped, trees, read = _read_both(FLOAT_LITERALS, monkeypatch)
    assert shipped == trees
    assert read["CreatePolicyStmt"] == 1, read  # fl_q: an integer column alone
    assert read["IndexStmt"] == 1, read  # fl_iy: the same
    static = interpret(FLOAT_LITERALS)
    table = static.tables["public.fl"]
    assert table.policies["fl_p"].using == "f > CAST(0 AS float8)"
    assert table.indexes["fl_ix"].where == "f > CAST(0 AS float8)"
    assert table.policies["fl_n"].using == "f > CAST(n AS float8)"
    live_model, _ = _live_and_dump(pg_server, tmp_path, "fast_floats", "SELECT 1", FLOAT_LITERALS)
    assert_same(live_model, static)


# CREATE TABLE's CHECKs printed by the read (the parsing child's, for a long history) for the
# statement's own column types; where the model may give a column another type (a search_path
# not starting with public) or a domain takes part, printed from the node by the apply step.
CHECKS = """
CREATE TABLE ck1 (id int, CHECK (id > 1.5));
CREATE TABLE ck2 (id numeric, CHECK (id > 1.5));
CREATE TABLE ck3 (id int CHECK (id > 1.5), v numeric(5,2) CHECK (v > id), w bigint);
CREATE TABLE ck4 (
    id bigint,
    v numeric,
    CHECK (v > id) NOT VALID,
    CONSTRAINT ck4_between CHECK (id BETWEEN 1 AND 2.5),
    UNIQUE (id),
    CONSTRAINT ck4_again UNIQUE (id),
    PRIMARY KEY (id),
    FOREIGN KEY (id) REFERENCES ck4 (id) MATCH FULL ON UPDATE SET NULL
);
CREATE TABLE ck5 (id int, CHECK (w > 1.5), w int CHECK (id > w) NO INHERIT);
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TABLE ck6 (a posint, b int, CHECK (a > 2), CHECK (b > 1.5));
CREATE SCHEMA s;
SET search_path = s, public;
CREATE TABLE ck7 (id int, CHECK (id > 1.5));
"""


def test_a_check_is_printed_for_its_own_tables_column_types(
    pg_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same CHECK over an integer and a numeric column is stored differently (the
    integer is cast); printed once per shape and column types, never for another table's."""
    printed: Counter = Counter()
    real = fast.apply_constraint

    def counting(interp, table, read, *args, **kwargs):  # type: ignore[no-untyped-def]
        if read["kind"] == "check":
            printed[(table.name, read.get("printed") is not None)] += 1
        return real(interp, table, read, *args, **kwargs)

    monkeypatch.setattr(fast, "apply_constraint", counting)
    shipped, trees, read = _read_both(CHECKS, monkeypatch)
    assert shipped == trees
    assert read["CreateStmt"] == 7, read
    assert printed == Counter(
        {
            ("ck1", True): 1,
            ("ck2", True): 1,
            ("ck3", True): 2,
            ("ck4", True): 2,
            ("ck5", True): 2,
            ("ck6", False): 2,
            ("ck7", False): 1,
        }
    ), printed
    live_model, _ = _live_and_dump(pg_server, tmp_path, "fast_checks", "SELECT 1", CHECKS)
    static = interpret(CHECKS)
    assert_same(live_model, static)
    checks = {
        name: sorted(c.expression for c in static.tables[f"{schema}.{name}"].checks.values())
        for schema, name in [("public", f"ck{n}") for n in range(1, 7)] + [("s", "ck7")]
    }
    assert checks["ck1"] == ["CAST(id AS numeric) > 1.5"] == checks["ck7"]
    assert checks["ck2"] == ["id > 1.5"]
    # the unnamed primary key takes the name of a UNIQUE it makes redundant, as in PostgreSQL
    assert static.tables["public.ck4"].primary_key.name == "ck4_again"
    assert list(static.tables["public.ck4"].uniques) == []  # both repeat the primary key


def test_type_modifier_memo_keys_are_equal_exactly_for_equal_modifiers() -> None:
    """``_type_text``'s memo key of a type's modifiers (the integers where each modifier is a
    plain integer constant, else ``frozen``): the same key wherever only the positions differ,
    another for every other modifier list; the texts read are the tree handler's (above)."""
    import json

    import pglast

    sql = (
        "CREATE TABLE t (a numeric(12,2), b numeric( 12 , 2 ), c numeric(12,0), d numeric(12),"
        " e varchar(64), f varchar(6), g numeric(1,2), h numeric(-1,2), i numeric(12,'2'))"
    )
    data = json.loads(pglast.parser.parse_sql_json(sql))
    columns = data["stmts"][0]["stmt"]["CreateStmt"]["tableElts"]
    keys = {
        column["ColumnDef"]["colname"]: fast._typmods(column["ColumnDef"]["typeName"]["typmods"])
        for column in columns
    }
    assert keys["a"] == keys["b"] == (12, 2)  # positions differ only
    assert keys["e"] == (64,) and keys["h"] == (-1, 2)
    # numeric(12,0): libpg_query's JSON leaves the 0 out; a string modifier: neither is a
    # plain integer constant, so frozen decides (a text or a marked tuple, never a tuple of ints)
    for name in ("c", "i"):
        assert keys[name] == frozen_of(columns, name)
    assert len(set(keys.values())) == len(keys) - 1  # every other pair differs


def frozen_of(columns: list, name: str) -> object:
    from schema_audit.pgparse import frozen

    (column,) = [c for c in columns if c["ColumnDef"]["colname"] == name]
    return frozen(column["ColumnDef"]["typeName"]["typmods"])
