"""Real-world trial (eleventh session, trial10): static reading == catalog on projects' own forms.

Fixtures are written here in each project's style; no project file is copied."""

from __future__ import annotations

from pathlib import Path

import psycopg
from init_mutations import history_audit_of_database_spec

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret
from schema_audit.sources.sqlfile import read_sql

# metabrainz/musicbrainz-server's admin/sql style, run by InitDb.pl as one `psql -f` per file:
# each schema's files start with their own SET search_path; the files after them (primary
# keys, indexes) rely on the search_path every new session starts with.
SESSION_FILES = {
    "000_schemas.sql": (
        "CREATE SCHEMA core;\nCREATE SCHEMA archive;\n"
        "GRANT USAGE, CREATE ON SCHEMA archive TO trial10_archivist;\n"
    ),
    "001_tables.sql": "CREATE TABLE artist (id SERIAL, name TEXT NOT NULL);\n",
    "002_archive_tables.sql": (
        "SET search_path = 'archive';\n"
        "CREATE TABLE art_type (id SERIAL, name TEXT);\n"
        "SET ROLE trial10_archivist;\n"
        "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC;\n"
        "CREATE TABLE cover (id INTEGER);\n"
    ),
    "003_primary_keys.sql": (
        "ALTER TABLE artist ADD CONSTRAINT artist_pkey PRIMARY KEY (id);\n"
        "CREATE TABLE label (id SERIAL PRIMARY KEY);\n"
        "CREATE INDEX artist_idx_name ON artist (name);\n"
    ),
}


def _apply_file_by_file(dsn: str, folder: Path, search_path: str) -> None:
    """As `psql -f` of each file does: a new session each, starting with ``search_path``."""
    for file in sorted(folder.iterdir()):
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"SET search_path = {search_path}")
            conn.execute(file.read_text())


def test_each_file_starts_with_the_runners_search_path_and_role(
    make_db, pg_server, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """metabrainz/musicbrainz-server: a file's `SET search_path = 'archive'` (and `SET ROLE`,
    whose default privileges then granted on the next files' tables) ended with its `psql` session, but the static reading carried both into the next files:
    their tables, keys and indexes went to `archive` (2,428 statements of MusicBrainz's
    schema "not applied": relation does not exist), and a table the next file creates in
    `core` was read as `archive`'s: a spec requiring that table in `archive` PASSed
    statically on a database that has it in `core` (false PASS); --replay and psql agreed."""
    pg_server.execute(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'trial10_archivist') "
        "THEN CREATE ROLE trial10_archivist; END IF; END $$"
    )
    folder = tmp_path / "sql"
    folder.mkdir()
    for name, text in SESSION_FILES.items():
        (folder / name).write_text(text)
    dsn = make_db("trial10_sessions")
    _apply_file_by_file(dsn, folder, "core, public")

    model, _ = read_sql(folder, search_path=["core", "public"])
    catalog = live.introspect(dsn)
    assert not [u for u in model.unapplied if u.kind == "error"]
    assert (
        sorted(model.tables)
        == sorted(catalog.tables)
        == [
            "archive.art_type",
            "archive.cover",
            "core.artist",
            "core.label",
        ]
    )
    # created by the login role: trial10_archivist's default privileges do not apply
    assert [g.grantee for g in model.tables["core.label"].grants] == []
    assert [g.grantee for g in model.tables["archive.cover"].grants] == ["public"]
    assert [str(d) for d in diff_models(catalog, model)] == []


# metabrainz/musicbrainz-server's CreateTables.sql / CreateIndexes.sql style: the schema's
# own functions called unqualified under `SET search_path = musicbrainz, public`.
OWN_SCHEMA_FUNCTIONS = r"""
    CREATE SCHEMA mb;
    SET search_path = mb, public;
    CREATE FUNCTION controlled_for_whitespace(TEXT) RETURNS boolean AS $$
      SELECT NOT $1 ~ E'^\\s|\\s$';
    $$ LANGUAGE SQL IMMUTABLE SET search_path = pg_catalog;
    CREATE FUNCTION mb_lower(TEXT) RETURNS TEXT AS $$ SELECT lower($1) $$
      LANGUAGE SQL IMMUTABLE;
    CREATE FUNCTION next_rank() RETURNS INTEGER AS $$ SELECT 1 $$ LANGUAGE SQL;
    CREATE FUNCTION public.in_public(TEXT) RETURNS boolean AS $$ SELECT true $$ LANGUAGE SQL IMMUTABLE;
    CREATE TABLE area (
      id      SERIAL,
      name    VARCHAR NOT NULL CHECK (controlled_for_whitespace(name)),
      comment VARCHAR(255) NOT NULL DEFAULT '',
      rank    INTEGER DEFAULT next_rank(),
      low     TEXT GENERATED ALWAYS AS (mb_lower(comment)) STORED,
      CONSTRAINT area_comment_check CHECK (controlled_for_whitespace(comment) AND in_public(comment))
    );
    ALTER TABLE area ALTER COLUMN comment SET DEFAULT mb_lower('x');
    CREATE INDEX area_idx_lower_name ON area (mb_lower(name));
    CREATE INDEX area_idx_ranked ON area (id) WHERE controlled_for_whitespace(comment);
"""


def test_own_schema_functions_called_unqualified(make_db) -> None:  # type: ignore[no-untyped-def]
    """metabrainz/musicbrainz-server: `CHECK (controlled_for_whitespace(name))` written under
    `SET search_path = musicbrainz, public` is printed by the catalog (read with an empty
    search_path) `musicbrainz.controlled_for_whitespace((name)::text)`; the static reading
    kept the bare name: 261 CHECKs and 8 index expressions FAILed a static audit against
    init's spec of the database built from the same files (false FAIL), and `diff` differed."""
    dsn = make_db("trial10_functions", OWN_SCHEMA_FUNCTIONS)
    static = interpret(OWN_SCHEMA_FUNCTIONS)
    assert static.tables["mb.area"].checks["area_name_check"].expression == (
        "mb.controlled_for_whitespace(name)"
    )
    assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []


def test_a_name_two_schemas_of_the_path_hold_stays_as_written() -> None:
    """PostgreSQL picks among same-named functions of several schemas by argument types:
    not guessed, the call stays as written."""
    static = interpret(
        "CREATE SCHEMA a; CREATE SCHEMA b; SET search_path = a, b;"
        "CREATE FUNCTION f(int) RETURNS int AS 'SELECT 1' LANGUAGE SQL IMMUTABLE;"
        "CREATE FUNCTION b.f(text) RETURNS int AS 'SELECT 1' LANGUAGE SQL IMMUTABLE;"
        "CREATE TABLE t (x int CHECK (f(x) > 0));"
    )
    assert static.tables["a.t"].checks["t_x_check"].expression == "f(x) > 0"


def test_a_domain_check_calls_its_schemas_function(make_db) -> None:  # type: ignore[no-untyped-def]
    """The same for a domain's CHECK (pg_get_constraintdef of the domain's constraint)."""
    sql = (
        "CREATE SCHEMA mb; SET search_path = mb, public;"
        "CREATE FUNCTION trimmed(TEXT) RETURNS boolean AS 'SELECT $1 = btrim($1)' LANGUAGE SQL IMMUTABLE;"
        "CREATE DOMAIN label AS TEXT CHECK (trimmed(VALUE));"
    )
    dsn = make_db("trial10_domain_function", sql)
    assert [str(d) for d in diff_models(live.introspect(dsn), interpret(sql))] == []


# metabrainz/musicbrainz-server's CreateTables.sql style: a table partitioned by a boolean whose
# name column has the project's own ICU collation, and its two partitions.
COLLATED_PARTITIONS = """
    CREATE COLLATION musicbrainz (provider = icu, locale = '@colCaseFirst=lower;colNumeric=yes');
    CREATE TABLE artist_release (
        is_track_artist BOOLEAN NOT NULL,
        artist          INTEGER NOT NULL,
        name            VARCHAR COLLATE musicbrainz NOT NULL,
        sort_key        TEXT COLLATE "C",
        name_length     INTEGER GENERATED ALWAYS AS (length(name)) STORED,
        catalog_numbers TEXT[] DEFAULT '{}'
    ) PARTITION BY LIST (is_track_artist);
    CREATE TABLE artist_release_nonva PARTITION OF artist_release FOR VALUES IN (FALSE);
    CREATE TABLE artist_release_va PARTITION OF artist_release (
        artist DEFAULT 1,
        catalog_numbers DEFAULT NULL,
        sort_key NOT NULL,
        CONSTRAINT va_artist CHECK (artist = 1)
    ) FOR VALUES IN (TRUE);
    CREATE TABLE editor (id INTEGER NOT NULL DEFAULT 0, name TEXT, area INTEGER);
    CREATE TABLE editor_deleted (id INTEGER DEFAULT 1, name TEXT NOT NULL CHECK (name <> ''),
        area INTEGER NULL) INHERITS (editor);
"""


def test_partitions_and_children_take_the_parents_columns_as_postgresql_does(make_db) -> None:  # type: ignore[no-untyped-def]
    """metabrainz/musicbrainz-server: `CREATE TABLE artist_release_nonva PARTITION OF
    artist_release …` gives the partition the parent's columns with their collation
    (`COLLATE musicbrainz`) and generation expression; the static partition's columns had
    neither (4 `exactly.columns` FAILs of MusicBrainz against init's spec of the database, a
    `diff` difference). And a column restated with options (`PARTITION OF p (artist DEFAULT 1,
    sort_key NOT NULL, CONSTRAINT …)`, or `INHERITS` with a column of the parent's name) was
    skipped: its DEFAULT, NOT NULL and CHECK were missing statically."""
    dsn = make_db("trial10_partitions", COLLATED_PARTITIONS)
    static = interpret(COLLATED_PARTITIONS)
    assert static.tables["public.artist_release_nonva"].columns["name"].collation == "musicbrainz"
    assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []


# metabrainz/musicbrainz-server's CreateFunctions.sql style: functions returning rows of the
# schema's own tables, under `SET search_path = musicbrainz, public`.
ROW_TYPE_FUNCTIONS = """
    CREATE SCHEMA mb;
    SET search_path = mb, public;
    CREATE TABLE area_containment (descendant INTEGER, parent INTEGER, depth SMALLINT);
    CREATE TYPE fluency AS ENUM ('basic', 'native');
    CREATE FUNCTION get_area_parent_hierarchy_rows(INTEGER[]) RETURNS SETOF area_containment AS $$
      SELECT * FROM area_containment WHERE descendant = any($1)
    $$ LANGUAGE SQL STABLE;
    CREATE FUNCTION sanitize(r area_containment, f fluency) RETURNS area_containment AS $$
      SELECT r
    $$ LANGUAGE SQL IMMUTABLE;
    CREATE FUNCTION levels(OUT level fluency) AS $$ SELECT 'basic'::fluency $$ LANGUAGE SQL;
    CREATE TABLE area_snapshot (id INTEGER, row area_containment);
"""


def test_row_types_of_own_schema_tables_in_signatures(make_db) -> None:  # type: ignore[no-untyped-def]
    """metabrainz/musicbrainz-server: `RETURNS SETOF area_containment` under `SET search_path
    = musicbrainz, public` is printed `SETOF musicbrainz.area_containment` by
    pg_get_function_result (and an argument of that type in the identity arguments, a column
    of it by format_type); the static reading left them bare: 8 `returns` FAILs of
    MusicBrainz, and a function taking such a row was "absent" on one side and "present" on
    the other in `diff` (its signature differed)."""
    dsn = make_db("trial10_row_types", ROW_TYPE_FUNCTIONS)
    static = interpret(ROW_TYPE_FUNCTIONS)
    assert "mb.sanitize(r mb.area_containment, f mb.fluency)" in static.functions
    assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []


def test_text_search_configuration_mappings_defer_nothing(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """metabrainz/musicbrainz-server's CreateSearchConfiguration.sql: `CREATE TEXT SEARCH
    CONFIGURATION mb_simple (COPY = pg_catalog.simple); ALTER TEXT SEARCH CONFIGURATION
    mb_simple ALTER MAPPING FOR word … WITH simple`. Not modelled, the ALTER was "may change
    anything": a static audit of MusicBrainz with `init --dsn`'s spec DEFERRED 11,773 findings
    (45 PASS), and `diff` left 294 objects undecided. It changes no table, column, index,
    policy or grant: only the owners (never in a history) stay DEFERRED, and both statements
    are still named as not read."""
    files = {
        "001_tables.sql": "CREATE TABLE artist (id SERIAL PRIMARY KEY, name TEXT NOT NULL);\n",
        "002_search.sql": (
            "CREATE TEXT SEARCH CONFIGURATION mb_simple (COPY = pg_catalog.simple);\n"
            "ALTER TEXT SEARCH CONFIGURATION mb_simple\n"
            "    ALTER MAPPING FOR word, numword, hword WITH simple;\n"
        ),
        "003_indexes.sql": (
            "CREATE INDEX artist_idx_txt ON artist USING gin (to_tsvector('mb_simple', name));\n"
        ),
    }
    report = history_audit_of_database_spec(make_db, tmp_path, "trial10_ts", files)
    deferred = {f["id"] for f in report["findings"] if f["status"] == "DEFERRED"}
    assert deferred <= {"tables.artist", "sequences.artist_id_seq", "schemas.public"}
    assert report["summary"]["FAIL"] == 0
    assert [u["sql"].split()[0:4] for u in report["unapplied_statements"]] == [
        ["CREATE", "TEXT", "SEARCH", "CONFIGURATION"],
        ["ALTER", "TEXT", "SEARCH", "CONFIGURATION"],
    ]


# metabrainz/musicbrainz-server's CreateViews.sql style: a view of a function's composite result.
COMPOSITE_FIELDS = """
    CREATE TABLE editor (id INTEGER, name TEXT, password TEXT);
    CREATE FUNCTION sanitize_editor(editor) RETURNS editor AS $$
      SELECT $1.id, $1.name, NULL::text
    $$ LANGUAGE SQL;
    CREATE VIEW editor_sanitized AS SELECT (sanitize_editor(editor)).* FROM editor;
    CREATE VIEW editor_names AS SELECT id, (sanitize_editor(editor)).name FROM editor;
"""


def test_fields_of_a_composite_value_in_a_view(make_db) -> None:  # type: ignore[no-untyped-def]
    """metabrainz/musicbrainz-server: `SELECT (sanitize_editor(editor)).* FROM editor` has one
    column per field of the function's row type; the static view had one column `?column?`,
    which init --sql wrote and which FAILed the database (and init --dsn's columns FAILed the
    history). Such a view's columns are not known statically now (listed, DEFERRED), and
    `(f(x)).name` is named `name`, as FigureColname names it."""
    dsn = make_db("trial10_composite_fields", COMPOSITE_FIELDS)
    catalog, static = live.introspect(dsn), interpret(COMPOSITE_FIELDS)
    names = [[c.name for c in m.views["public.editor_names"].columns] for m in (catalog, static)]
    assert names == [["id", "name"], ["id", "name"]]
    assert [u.reason.split(" (")[0] for u in static.unapplied] == [
        "the columns '*' gives view public.editor_sanitized are not known"
    ]


def test_a_c_function_s_body_is_its_link_symbol(make_db) -> None:  # type: ignore[no-untyped-def]
    """metabrainz/musicbrainz-server's Extensions.sql: `CREATE FUNCTION immutable_unaccent
    (regdictionary, text) … LANGUAGE c … AS '$libdir/unaccent', 'unaccent_dict'`: prosrc holds
    the link symbol (probin the file); the static body was the file (a `diff` difference)."""
    sql = (
        "CREATE FUNCTION immutable_unaccent(regdictionary, text) RETURNS text LANGUAGE c "
        "IMMUTABLE PARALLEL SAFE STRICT AS '$libdir/unaccent', 'unaccent_dict';"
    )
    dsn = make_db("trial10_c_function", sql)
    static = interpret(sql)
    assert (
        static.functions["public.immutable_unaccent(regdictionary, text)"].body == "unaccent_dict"
    )
    assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []
