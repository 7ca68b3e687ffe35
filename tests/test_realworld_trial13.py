"""Real-world trial (fourteenth session, trial13): static reading == catalog on projects' own forms.

Fixtures are written here in each project's style; no project file is copied. Each test applies
its SQL to a real database and compares what the tool says of the static reading of the same SQL
with what the catalog says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli_runner import run_cli

# Lemmy's form (diesel, 2025-08-01 "smoosh tables together"): per-person action tables folded
# into one by CREATE TABLE AS over a UNION ALL with aggregates, keys added afterwards. CREATE
# TABLE AS declares no column types; PostgreSQL works them out from the query.
SMOOSHED = {
    "2019-03-03-163336_create_post/up.sql": """
        CREATE TABLE post_like (
            id serial PRIMARY KEY,
            post_id int NOT NULL,
            person_id int NOT NULL,
            score smallint NOT NULL,
            published timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE post_saved (
            post_id int NOT NULL,
            person_id int NOT NULL,
            published timestamptz NOT NULL DEFAULT now()
        );
    """,
    "2025-08-01-000016_smoosh-tables-together/up.sql": """
        CREATE TABLE post_actions AS
        SELECT
            person_id,
            post_id,
            max(liked) AS liked_at,
            max(saved) AS saved_at,
            max(like_score) = 1 AS vote_is_upvote
        FROM (
            SELECT person_id, post_id, score AS like_score, published AS liked,
                NULL::timestamptz AS saved
            FROM post_like
            UNION ALL
            SELECT person_id, post_id, NULL::int, NULL::timestamptz, published
            FROM post_saved) AS s
        GROUP BY person_id, post_id;
        DROP TABLE post_like, post_saved;
        ALTER TABLE post_actions
            ALTER COLUMN person_id SET NOT NULL,
            ALTER COLUMN post_id SET NOT NULL,
            ADD PRIMARY KEY (person_id, post_id);
    """,
}


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "migrations"
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def test_create_table_as_column_types_are_undecided_not_wrong(make_db: Any, tmp_path: Path) -> None:
    """CREATE TABLE AS gives its columns the query's types, which the static reading does not
    work out: it typed them `unknown`. `init --dsn`'s spec then FAILed every such column
    against the history (`expected integer, actual unknown`), `init --sql` wrote `type:
    unknown` (FAILing the database) and `diff` counted each as a difference (false FAILs,
    LemmyNet/lemmy: 47 columns). The type is DEFERRED now (undecided in `diff`), `init --sql`
    writes no type for such a column and says so; what is known (nullability) still FAILs."""
    folder = _folder(tmp_path, SMOOSHED)
    dsn = make_db("trial13_ctas", "".join(SMOOSHED.values()))
    live_spec = tmp_path / "live.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", live_spec).returncode == 0
    proc = run_cli("audit", "-s", live_spec, "--sql", folder, "-f", "json")
    status = {f["id"]: f for f in json.loads(proc.stdout)["findings"]}
    for column in ("person_id", "post_id", "liked_at", "vote_is_upvote"):
        finding = status[f"tables.post_actions.columns.{column}"]
        assert finding["status"] == "DEFERRED", finding
        assert "CREATE TABLE AS" in finding["message"]
    assert [i for i, f in status.items() if f["status"] == "FAIL"] == []

    spec = tmp_path / "static.yaml"
    init = run_cli("init", "--sql", folder, "-o", spec)
    assert init.returncode == 0, init.stderr
    assert "5 columns of tables made by CREATE TABLE AS have no type statically" in init.stderr
    assert "2025-08-01-000016_smoosh-tables-together/up.sql:2: public.post_actions." in init.stderr
    assert "type: unknown" not in spec.read_text()
    audit = run_cli("audit", "-s", spec, "--dsn", dsn, "-f", "json")
    failing = [f["id"] for f in json.loads(audit.stdout)["findings"] if f["status"] == "FAIL"]
    assert failing == [], failing

    diff = run_cli("diff", folder, dsn, "-f", "json")
    data = json.loads(diff.stdout)
    assert data["differences"] == [], data["differences"]
    undecided = {u["object"] for u in data["undecided"] if u["property"] == "type"}
    assert "column public.post_actions.vote_is_upvote" in undecided

    # nullability is known: a spec saying otherwise still FAILs statically
    text = live_spec.read_text()
    changed = text.replace(
        "person_id: {type: integer, nullable: false}",
        "person_id: {type: integer, nullable: true}",
        1,
    )
    assert changed != text
    live_spec.write_text(changed)
    proc = run_cli("audit", "-s", live_spec, "--sql", folder, "-f", "json")
    found = {f["id"]: f["status"] for f in json.loads(proc.stdout)["findings"]}
    assert found["tables.post_actions.columns.person_id"] == "FAIL"


# Lemmy's form (diesel, 2025-08-01 "forbid diesel cli"): a trigger on diesel's own bookkeeping
# table, which diesel creates before the first migration (its setup_migration_table.sql) and no
# up.sql does.
DIESEL_RUNNER = (
    "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations ("
    " version VARCHAR(50) PRIMARY KEY NOT NULL,"
    " run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);\n"
)
FORBID_DIESEL_CLI = {
    "2019-02-26-002946_create_user/up.sql": "CREATE TABLE person (id serial PRIMARY KEY);\n",
    "2025-08-01-000017_forbid_diesel_cli/up.sql": """
        CREATE FUNCTION forbid_diesel_cli ()
            RETURNS TRIGGER
            LANGUAGE plpgsql
            AS $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory') THEN
                RAISE 'migrations must be managed using lemmy_server instead of diesel CLI';
            END IF;
            RETURN NULL;
        END;
        $$;
        CREATE TRIGGER forbid_diesel_cli
            BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON __diesel_schema_migrations
            EXECUTE FUNCTION forbid_diesel_cli ();
    """,
}
# pocket-id's form (golang-migrate, backend/resources/migrations/postgres): NNN_name.up.sql
GOLANG_MIGRATE = {
    "20240101000000_init.up.sql": "CREATE TABLE users (id uuid PRIMARY KEY, username text);\n",
    "20240101000000_init.down.sql": "DROP TABLE users;\n",
}
GOLANG_MIGRATE_RUNNER = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint NOT NULL PRIMARY KEY,"
    " dirty boolean NOT NULL);\n"
)


def test_the_runners_own_table_is_deferred_statically_not_missing(
    make_db: Any, tmp_path: Path
) -> None:
    """A database its runner migrated has the runner's bookkeeping table (golang-migrate's
    `schema_migrations`, diesel's `__diesel_schema_migrations`), so `init --dsn` requires it;
    no file of the history creates it, and a static audit of the history FAILed `table
    public.schema_migrations does not exist` (false FAIL for every runner layout; found on
    LemmyNet/lemmy, whose history puts a trigger on diesel's). What is said of it is DEFERRED
    now, with the reason, named as a blind spot; `diff` lists it as undecided."""
    for label, files, runner_sql, table in (
        ("gm", GOLANG_MIGRATE, GOLANG_MIGRATE_RUNNER, "schema_migrations"),
        ("diesel", FORBID_DIESEL_CLI, DIESEL_RUNNER, "__diesel_schema_migrations"),
    ):
        folder = _folder(tmp_path / label, files)
        applied = "".join(text for name, text in files.items() if ".down." not in name)
        dsn = make_db(f"trial13_{label}", runner_sql + applied)
        spec = tmp_path / f"{label}.yaml"
        assert run_cli("init", "--dsn", dsn, "-o", spec).returncode == 0
        proc = run_cli("audit", "-s", spec, "--sql", folder, "-f", "json")
        report = json.loads(proc.stdout)
        status = {f["id"]: f for f in report["findings"]}
        failing = [i for i, f in status.items() if f["status"] == "FAIL"]
        assert failing == [], (label, failing)
        finding = status[f"tables.{table}"]
        assert finding["status"] == "DEFERRED", finding
        assert "own bookkeeping table" in json.dumps(finding), finding
        # nothing else is deferred for it (a function, the strict blocks …)
        others = [
            i
            for i, f in status.items()
            if "bookkeeping" in json.dumps(f) and not i.startswith(f"tables.{table}")
        ]
        assert others == [], (label, others)
        terminal = run_cli("audit", "-s", spec, "--sql", folder)
        assert f"blind spot: public.{table} is " in terminal.stdout, terminal.stdout
        assert "could not be applied statically" not in terminal.stdout or label == "diesel"
        diff = json.loads(run_cli("diff", folder, dsn, "-f", "json").stdout)
        assert diff["differences"] == [], (label, diff["differences"])
        assert f"table public.{table}" in {u["object"] for u in diff["undecided"]}
        # a table the history creates is required as ever: dropped from the database, it FAILs
        other = make_db(f"trial13_{label}_x", runner_sql)
        proc = run_cli("audit", "-s", spec, "--dsn", other, "-f", "json")
        gone = [f["id"] for f in json.loads(proc.stdout)["findings"] if f["status"] == "FAIL"]
        assert any(i in gone for i in ("tables.users", "tables.person")), gone


def test_a_diesel_replay_has_diesels_own_table(
    make_db: Any, pg_server: Any, tmp_path: Path
) -> None:
    """diesel creates `__diesel_schema_migrations` before the first migration; `--replay` did
    not, so Lemmy's history stopped at its trigger on that table (`relation
    "__diesel_schema_migrations" does not exist`: a replay-failed FAIL and every later finding
    DEFERRED, LemmyNet/lemmy 2025-08-01-000017). The replay makes it as diesel does."""
    folder = _folder(tmp_path, FORBID_DIESEL_CLI)
    dsn = make_db("trial13_replay", DIESEL_RUNNER + "".join(FORBID_DIESEL_CLI.values()))
    spec = tmp_path / "spec.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", spec).returncode == 0
    proc = run_cli(
        "audit", "-s", spec, "--sql", folder, "--replay",
        "--scratch-dsn", pg_server.admin_dsn, "-f", "json", timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    status = {f["id"]: f["status"] for f in json.loads(proc.stdout)["findings"]}
    assert "migrations.replay-failed.up" not in status
    assert status["tables.__diesel_schema_migrations.triggers.forbid_diesel_cli"] == "PASS"
    assert "FAIL" not in status.values()


# PostgREST's test fixture (test/spec/fixtures/schema.sql, issue 1543): a composite type made
# under `SET search_path = test, pg_catalog`, then a column of that type.
POSTGREST_COMPLEX = """
CREATE SCHEMA test;
SET search_path = test, pg_catalog;
CREATE TYPE complex AS (
 r double precision,
 i double precision
);
CREATE TABLE test.fav_numbers (
 num    complex,
 person text
);
CREATE TYPE gone AS (a int);
DROP TYPE gone;
CREATE DOMAIN gone AS int;
CREATE TABLE test.kept (g gone);
-- an index's name avoids a composite type's (pg_class holds both), not a dropped one's
CREATE TYPE t_a_idx AS (x int);
DROP TYPE t_a_idx;
CREATE TABLE t (a int);
CREATE INDEX ON t (a);
CREATE TYPE u_a_idx AS (x int);
CREATE TABLE u (a int);
CREATE INDEX ON u (a);
"""


def test_a_column_of_a_composite_type_outside_public_is_qualified(make_db: Any) -> None:
    """The catalog prints a column of `test.complex` (a composite type the search_path found
    outside public) as `test.complex`; the static reading, which does not model composite
    types, kept `complex`, so `init --dsn`'s spec FAILed it (`type is complex, expected
    test.complex`) and `diff` counted a difference (false FAIL, PostgREST's fixtures). The
    static reading now knows the composite type's name and schema, as it knows an enum's,
    and an index name avoids it as PostgreSQL's does (pg_class holds both)."""
    from schema_audit.modeldiff import diff_models
    from schema_audit.sources import live
    from schema_audit.sources.ddl import interpret

    dsn = make_db("trial13_complex", POSTGREST_COMPLEX)
    catalog, static = live.introspect(dsn), interpret(POSTGREST_COMPLEX)
    for table, column in (("test.fav_numbers", "num"), ("test.kept", "g")):
        assert (
            static.tables[table].columns[column].type == catalog.tables[table].columns[column].type
        )
    assert sorted(static.tables["test.t"].indexes) == ["t_a_idx"]
    assert sorted(static.tables["test.u"].indexes) == ["u_a_idx1"]
    assert [str(d) for d in diff_models(catalog, static)] == []


# PostgREST's fixture: a schema whose name holds a space, quotes and punctuation, a foreign key
# into it.
POSTGREST_SPECIAL = r"""
CREATE SCHEMA "SPECIAL ""@/\#~_-";
CREATE TABLE "SPECIAL ""@/\#~_-".languages(
  id INT PRIMARY KEY,
  name TEXT
);
CREATE TABLE "SPECIAL ""@/\#~_-".names(
  id INT PRIMARY KEY,
  name TEXT,
  language_id INT REFERENCES "SPECIAL ""@/\#~_-".languages(id)
);
"""


def test_init_s_reference_into_a_schema_with_a_space_is_read_back(
    make_db: Any, tmp_path: Path
) -> None:
    """`init` writes the foreign key's target as `SPECIAL "@/\\#~_-.languages(id)`; the
    audit's reference reader took no space in a table name and stopped the whole audit with
    `internal error: ValueError: cannot read reference …` (every finding of PostgREST's
    fixtures unsaid, exit 2). It reads what `init` writes now."""
    dsn = make_db("trial13_special", POSTGREST_SPECIAL)
    (tmp_path / "schema.sql").write_text(POSTGREST_SPECIAL)
    spec = tmp_path / "spec.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", spec).returncode == 0
    for source in (("--dsn", dsn), ("--sql", tmp_path / "schema.sql")):
        proc = run_cli("audit", "-s", spec, *source, "-f", "json")
        assert "internal error" not in proc.stderr, proc.stderr
        findings = {f["id"]: f for f in json.loads(proc.stdout)["findings"]}
        fk = next(f for i, f in findings.items() if ".foreign_keys." in i)
        assert fk["status"] == "PASS", fk
    # a reference to another table of that schema still FAILs
    text = spec.read_text()
    assert ".languages(id)" in text
    spec.write_text(text.replace(".languages(id)", ".names(id)"))
    proc = run_cli("audit", "-s", spec, "--dsn", dsn, "-f", "json")
    fk = next(f for f in json.loads(proc.stdout)["findings"] if ".foreign_keys." in f["id"])
    assert fk["status"] == "FAIL", fk


# PostgREST's fixture: media-type domains named with quotes (a slash, a dot, a plus) made under
# `SET search_path = test, pg_catalog`, used by function signatures and columns.
POSTGREST_MEDIA_TYPES = """
CREATE SCHEMA test;
SET search_path = test, pg_catalog;
create domain "text/xml" as pg_catalog.xml;
create domain "application/vnd.geo2+json" as jsonb;
CREATE FUNCTION test.return_scalar_xml() RETURNS "text/xml" LANGUAGE sql
  AS $_$ SELECT '<my-xml-tag/>'::"text/xml" $_$;
create function test.geo2json_trans (state "application/vnd.geo2+json", next anyelement)
returns "application/vnd.geo2+json" as $$ select state $$ language sql;
CREATE TABLE test.docs (id int, body "text/xml", bodies "text/xml"[]);
"""


def test_a_quoted_type_name_found_outside_public_is_qualified(make_db: Any) -> None:
    """The search_path finds `"text/xml"` (a domain) in schema test, so the catalog prints it
    `test."text/xml"`, in a column and a function's signature and result alike; the static
    reading looked up unquoted names only and kept `"text/xml"`, so `init --sql`'s spec FAILed
    31 functions of PostgREST's fixtures against their database (`returns is test."text/xml",
    expected "text/xml"`, two `does not exist` by their signature) and `diff` counted them. A
    quoted name is looked up as an unquoted one is."""
    from schema_audit.modeldiff import diff_models
    from schema_audit.sources import live
    from schema_audit.sources.ddl import interpret

    dsn = make_db("trial13_media", POSTGREST_MEDIA_TYPES)
    catalog, static = live.introspect(dsn), interpret(POSTGREST_MEDIA_TYPES)
    assert static.tables["test.docs"].columns["body"].type == 'test."text/xml"'
    assert static.tables["test.docs"].columns["bodies"].type == 'test."text/xml"[]'
    assert [str(d) for d in diff_models(catalog, static)] == []


# PostgREST's fixture in pg_dump's older form: the default set after the sequence, by a bare
# name, under `SET search_path = test, pg_catalog`; a sequence in public named from there too.
POSTGREST_NEXTVAL = """
CREATE SCHEMA test;
CREATE SEQUENCE public.shared_seq;
SET search_path = test, pg_catalog;
CREATE TABLE auto_incrementing_pk (
    id integer NOT NULL,
    non_nullable_string character varying NOT NULL
);
CREATE SEQUENCE auto_incrementing_pk_id_seq START WITH 1 INCREMENT BY 1 CACHE 1;
ALTER SEQUENCE auto_incrementing_pk_id_seq OWNED BY auto_incrementing_pk.id;
ALTER TABLE ONLY auto_incrementing_pk
    ALTER COLUMN id SET DEFAULT nextval('auto_incrementing_pk_id_seq'::regclass);
CREATE SEQUENCE "Mixed_Seq";
CREATE SEQUENCE plain_seq;
CREATE TABLE tickets (
    id integer DEFAULT nextval('"Mixed_Seq"'::regclass),
    n bigint DEFAULT nextval('Plain_Seq')
);
SET search_path = test, public;
CREATE TABLE later (shared integer DEFAULT nextval('shared_seq'::regclass));
"""


def test_a_nextval_literal_names_the_sequence_the_search_path_found(
    make_db: Any, tmp_path: Path
) -> None:
    """regclass input resolves `nextval('auto_incrementing_pk_id_seq'::regclass)` through the
    search_path when the default is made, and the catalog prints the sequence it found:
    `nextval('test.auto_incrementing_pk_id_seq'::regclass)`. The static reading kept the bare
    name, so `init --sql`'s spec FAILed each such default against the database (PostgREST's
    fixtures: 4 columns, and 6 privileges that follow the sequence's USAGE), and `diff`
    counted them. The literal names the schema it was found in now (public's stay bare)."""
    from schema_audit.modeldiff import diff_models
    from schema_audit.sources import live
    from schema_audit.sources.ddl import interpret

    dsn = make_db("trial13_nextval", POSTGREST_NEXTVAL)
    catalog, static = live.introspect(dsn), interpret(POSTGREST_NEXTVAL)
    for table, column in (
        ("test.auto_incrementing_pk", "id"),
        ("test.tickets", "id"),
        ("test.tickets", "n"),
        ("test.later", "shared"),
    ):
        assert (
            "test." in (catalog.tables[table].columns[column].default or "") or "shared" in column
        )
        assert [str(d) for d in diff_models(catalog, static) if column in str(d)] == []
    assert [str(d) for d in diff_models(catalog, static)] == []
    (tmp_path / "schema.sql").write_text(POSTGREST_NEXTVAL)
    spec = tmp_path / "spec.yaml"
    assert run_cli("init", "--sql", tmp_path / "schema.sql", "-o", spec).returncode == 0
    proc = run_cli("audit", "-s", spec, "--dsn", dsn, "-f", "json")
    failing = [f["id"] for f in json.loads(proc.stdout)["findings"] if f["status"] == "FAIL"]
    assert [i for i in failing if not i.startswith("rules.")] == []


# A psql script whose block runs by a condition (PostgREST's fixtures: `\if
# :is_orioledb_available`); here a variable the script sets itself.
CONDITIONAL = """\\set with_audit false
CREATE TABLE a (id int);
\\if :with_audit
CREATE TABLE audit_log (id int);
\\else
CREATE TABLE no_audit (id int);
\\endif
"""


def test_a_psql_if_block_is_not_read_as_run(make_db: Any, tmp_path: Path) -> None:
    """psql runs an `\\if` block's statements or skips them by its condition; the static
    reading blanked `\\if` / `\\else` / `\\endif` like any meta-command and applied every
    branch without a word, so a spec requiring `audit_log`, which psql never created, PASSed
    statically (false PASS) and `diff` counted a difference. `\\if` / `\\elif` are named now as
    meta-commands not read statically, so what the blocks may change is DEFERRED. A condition
    the script decides itself (`\\set with_audit false`) is now followed as psql follows it
    (fidelity14, tests/test_fidelity14_psql_if.py): the static verdict is psql's, FAIL."""
    (tmp_path / "h.sql").write_text(CONDITIONAL)
    # what `psql -f h.sql` runs (checked on PostgreSQL 15): the \else branch
    dsn = make_db("trial13_if", "CREATE TABLE a (id int); CREATE TABLE no_audit (id int);")
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: t\ntables:\n  audit_log:\n    columns:\n      id: {type: integer}\n")
    proc = run_cli("audit", "-s", spec, "--sql", tmp_path / "h.sql", "-f", "json")
    found = {f["id"]: f for f in json.loads(proc.stdout)["findings"]}
    assert found["tables.audit_log"]["status"] == "FAIL", found["tables.audit_log"]
    live = run_cli("audit", "-s", spec, "--dsn", dsn, "-f", "json")
    assert {f["id"]: f["status"] for f in json.loads(live.stdout)["findings"]}[
        "tables.audit_log"
    ] == "FAIL"
    data = json.loads(run_cli("diff", tmp_path / "h.sql", dsn, "-f", "json").stdout)
    assert data["differences"] == [], data["differences"]


# Flask-Migrate's layout (CTFd's, redash's): alembic.ini inside migrations/, without a
# script_location (Flask-Migrate runs the folder the ini stands in).
FLASK_MIGRATE_INI = (
    "[alembic]\n# template used to generate migration files\n\n[loggers]\nkeys = root\n"
)
FLASK_MIGRATE_REVISION = '''"""Initial Revision"""
import sqlalchemy as sa
from alembic import op

revision = "8369118943a1"
down_revision = None


def upgrade():
    op.create_table(
        "challenges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade():
    op.drop_table("challenges")
'''


def test_a_flask_migrate_folder_is_read(tmp_path: Path) -> None:
    """`inspect -m migrations` of CTFd's Flask-Migrate folder said `migrations: the versions
    folder does not exist` (exit 2) while migrations/versions holds 33 revisions: an
    alembic.ini without script_location was taken to point at `alembic/`. The folder the
    ini stands in is the script folder when it has env.py or versions/, as Flask-Migrate
    runs it."""
    folder = tmp_path / "migrations"
    (folder / "versions").mkdir(parents=True)
    (folder / "alembic.ini").write_text(FLASK_MIGRATE_INI)
    (folder / "env.py").write_text("from flask import current_app  # never run statically\n")
    (folder / "versions" / "8369118943a1_initial_revision.py").write_text(FLASK_MIGRATE_REVISION)
    proc = run_cli("inspect", "-m", folder)
    assert proc.returncode == 0, proc.stderr
    assert "public.challenges" in json.loads(proc.stdout)["model"]["tables"]


def test_init_s_warning_names_an_unrendered_revision_without_line_none(tmp_path: Path) -> None:
    """CTFd's revisions that probe the dialect (`op.get_bind().engine.url`) are read from
    their syntax trees, with no line: `init`'s warning said `first at
    m2/versions/b5551cd26764_add_captain_column_to_teams.py:None`. The file alone now."""
    folder = tmp_path / "migrations"
    (folder / "versions").mkdir(parents=True)
    (folder / "alembic.ini").write_text(FLASK_MIGRATE_INI)
    (folder / "env.py").write_text("")
    (folder / "versions" / "8369118943a1_initial_revision.py").write_text(FLASK_MIGRATE_REVISION)
    (folder / "versions" / "b5551cd26764_add_captain.py").write_text(
        '"""captain"""\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        'revision = "b5551cd26764"\ndown_revision = "8369118943a1"\n\n\n'
        "def upgrade():\n    bind = op.get_bind()\n    url = str(bind.engine.url)\n"
        '    if url.startswith("sqlite") is False:\n'
        '        op.add_column("challenges", sa.Column("captain_id", sa.Integer()))\n\n\n'
        "def downgrade():\n    pass\n"
    )
    proc = run_cli("init", "-m", folder, "--allow-unrendered", "-o", tmp_path / "s.yaml")
    assert "could not be applied statically (first at " in proc.stderr, proc.stderr
    assert ":None" not in proc.stderr, proc.stderr
