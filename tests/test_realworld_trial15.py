"""Real-world trial (sixteenth session, trial15): static reading == catalog on projects' own forms.

Fixtures are written here in each project's style; no project file is copied. Each test applies
its SQL to a real database and compares what the tool says of the static reading of the same SQL
with what the catalog says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli_runner import run_cli


def _diesel_folder(tmp_path: Path, files: dict[str, str]) -> Path:
    """``files`` (version_name -> up.sql) as a diesel migrations folder."""
    folder = tmp_path / "migrations"
    for name, text in files.items():
        (folder / name).mkdir(parents=True)
        (folder / name / "up.sql").write_text(text)
        (folder / name / "down.sql").write_text("-- This file should undo anything in `up.sql`\n")
    return folder


def _both_ways(make_db: Any, tmp_path: Path, label: str, folder: Path, sql: str) -> list[str]:
    """`diff` of the folder and the database it builds, then init's spec of each side audited
    against the other: every finding that is not PASS (the ids), none expected."""
    dsn = make_db(label, sql)
    diff = json.loads(run_cli("diff", folder, dsn, "-f", "json").stdout)
    not_pass = [d["message"] if "message" in d else str(d) for d in diff["differences"]]
    not_pass += [str(u) for u in diff["undecided"]]
    static_spec, live_spec = tmp_path / "static.yaml", tmp_path / "live.yaml"
    assert run_cli("init", "--sql", folder, "-o", static_spec).returncode == 0
    assert run_cli("init", "--dsn", dsn, "-o", live_spec).returncode == 0
    for audit in (
        run_cli("audit", "-s", static_spec, "--dsn", dsn, "-f", "json"),
        run_cli("audit", "-s", live_spec, "--sql", folder, "-f", "json"),
    ):
        for finding in json.loads(audit.stdout)["findings"]:
            if finding["status"] in ("FAIL", "DEFERRED") and "owner" not in finding["message"]:
                not_pass.append(f"{finding['status']} {finding['id']}: {finding['message']}")
    return not_pass


# crates.io's form (diesel): `last_retry TIMESTAMP NOT NULL DEFAULT '1970-01-01'`, years later
# `alter table background_jobs alter last_retry type timestamptz`. PostgreSQL read the literal
# as a timestamp when the table was made and keeps that value ('1970-01-01 00:00:00'::timestamp
# without time zone), coerced to the new type.
RETYPED_TIME_DEFAULTS = {
    "2018-05-03-150523_create_jobs": """
        CREATE TABLE background_jobs (
          id BIGSERIAL PRIMARY KEY,
          job_type TEXT NOT NULL,
          retries INTEGER NOT NULL DEFAULT 0,
          last_retry TIMESTAMP NOT NULL DEFAULT '1970-01-01',
          not_before DATE NOT NULL DEFAULT '2018-05-03',
          created_at TIMESTAMPTZ NOT NULL DEFAULT '2018-05-03 00:00:00+00'
        );
    """,
    "2025-02-17-133723_timezones": """
        alter table background_jobs alter last_retry type timestamptz;
        alter table background_jobs alter not_before type timestamptz;
        alter table background_jobs alter created_at type timestamp;
    """,
}


def test_a_retyped_column_keeps_its_literal_default_of_the_old_type(
    make_db: Any, tmp_path: Path
) -> None:
    """The static reading kept the bare literal and read it as a value of the NEW type:
    '2018-05-03 00:00:00+00' read as a timestamp lost its offset (`diff` counted a difference,
    init --dsn's spec FAILed the history, a spec of the timestamp value PASSed it: false
    FAIL, false PASS), and '1970-01-01' / '2018-05-03' read as timestamptz depended on the
    TimeZone (DEFERRED, undecided in `diff`) where PostgreSQL had stored a timestamp and a
    date, no setting involved. Found on rust-lang/crates.io's diesel history."""
    folder = _diesel_folder(tmp_path, RETYPED_TIME_DEFAULTS)
    sql = "".join(RETYPED_TIME_DEFAULTS.values())
    assert _both_ways(make_db, tmp_path, "trial15_retyped_default", folder, sql) == []


# heroiclabs/nakama's form (sql-migrate): a license header, then `-- +migrate Up` and
# `-- +migrate Down` sections in one file; two files share a numeric prefix (sql-migrate orders
# them by name); a function between StatementBegin / StatementEnd with a `-- ` comment line,
# which sql-migrate drops before sending the statement; `notransaction` for CONCURRENTLY.
LICENSE = "/*\n * Copyright 2018 The Example Authors\n */\n\n"
SQL_MIGRATE = {
    "20180103142001_initial_schema.sql": LICENSE
    + """-- +migrate Up
CREATE TABLE IF NOT EXISTS users (
    PRIMARY KEY (id),
    id         UUID         NOT NULL,
    username   VARCHAR(128) CONSTRAINT users_username_key UNIQUE NOT NULL
);

CREATE TABLE IF NOT EXISTS leaderboard (
    PRIMARY KEY (id),
    id         VARCHAR(128) NOT NULL
);

-- +migrate Down
DROP TABLE IF EXISTS leaderboard, users;
""",
    "20230222172540-purchases-not-null-uid-1.sql": LICENSE
    + """-- +migrate Up
ALTER TABLE users ADD COLUMN uid UUID;
LOCK TABLE users IN SHARE MODE;

-- +migrate StatementBegin
CREATE FUNCTION users_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
-- sql-migrate leaves this line out of the body
    RETURN NEW;
END;
$$
-- +migrate StatementEnd

-- +migrate Down
DROP FUNCTION users_touch();
ALTER TABLE users DROP COLUMN uid;
""",
    "20230222172540-purchases-not-null-uid-2.sql": LICENSE
    + """-- +migrate Up
ALTER TABLE users ALTER COLUMN uid SET NOT NULL;

-- +migrate Down
ALTER TABLE users ALTER COLUMN uid DROP NOT NULL;
""",
    "20230706095800-leaderboard-list-index.sql": LICENSE
    + """-- +migrate Up notransaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS leaderboard_id_idx ON leaderboard (id DESC);

-- +migrate Down
DROP INDEX IF EXISTS leaderboard_id_idx;
""",
}
# what sql-migrate sends of them, in its order
SQL_MIGRATE_SENT = """
CREATE TABLE users (id UUID NOT NULL PRIMARY KEY,
    username VARCHAR(128) CONSTRAINT users_username_key UNIQUE NOT NULL);
CREATE TABLE leaderboard (id VARCHAR(128) NOT NULL PRIMARY KEY);
ALTER TABLE users ADD COLUMN uid UUID;
CREATE FUNCTION users_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEW;
END;
$$;
ALTER TABLE users ALTER COLUMN uid SET NOT NULL;
CREATE INDEX leaderboard_id_idx ON leaderboard (id DESC);
"""


def test_sql_migrate_files_apply_their_up_sections_only(
    make_db: Any, pg_server: Any, tmp_path: Path
) -> None:
    """sql-migrate's `-- +migrate Up` / `-- +migrate Down` were not known: the whole file was
    applied, each Down section dropping what its Up made (nakama's 19 files read as 1 table:
    `diff` 12 differences, init --dsn's spec 13 FAILs against the history, a spec requiring
    a table absent PASSed it), with two files of one numeric prefix an error
    (`duplicate-version`) where sql-migrate orders them by name. Now read as sql-migrate
    reads them: Up sections only, its comment lines left out of a statement, and, for the
    replay, each file in a transaction unless `notransaction`. Found on heroiclabs/nakama."""
    folder = tmp_path / "sql"
    folder.mkdir()
    for name, text in SQL_MIGRATE.items():
        (folder / name).write_text(text)
    assert _both_ways(make_db, tmp_path, "trial15_sql_migrate", folder, SQL_MIGRATE_SENT) == []
    inspect = run_cli("inspect", "--sql", folder)
    assert json.loads(inspect.stdout)["source"]["layout"] == "sql-migrate layout, 4 files"
    assert inspect.stderr == ""  # no duplicate-version

    proc = run_cli(
        "audit", "-s", tmp_path / "live.yaml", "--sql", folder, "--replay",
        "--scratch-dsn", pg_server.admin_dsn, "-f", "json", timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    statuses = {f["id"]: f["status"] for f in json.loads(proc.stdout)["findings"]}
    assert "FAIL" not in statuses.values(), statuses


def test_sql_migrate_up_section_keeps_line_numbers() -> None:
    """The comment line sql-migrate leaves out of the function is given back after the
    statement: every line keeps its number (errors say file:line), the Down section blank."""
    from schema_audit.sources.sqlfile import _up_section

    text = SQL_MIGRATE["20230222172540-purchases-not-null-uid-1.sql"]
    up = _up_section(text).split("\n")
    assert len(up) == len(text.split("\n"))
    assert "sql-migrate leaves this line" not in "\n".join(up)
    assert "DROP FUNCTION" not in "\n".join(up)
    for number, line in enumerate(text.split("\n")):
        if line.startswith(("ALTER TABLE users ADD", "LOCK TABLE", "CREATE FUNCTION")):
            assert up[number] == line
    # a file with a Down section only runs nothing (it was applied whole: its DROP too)
    assert _up_section("-- +migrate Down\nDROP TABLE users;\n").strip() == ""


def _golang_migrate_folder(tmp_path: Path, files: dict[str, str]) -> Path:
    """``files`` (version_name -> up SQL) as a golang-migrate folder, each with its down file."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.up.sql").write_text(text)
        (folder / f"{name}.down.sql").write_text("-- irreversible\n")
    return folder


# openmeter's form (golang-migrate): a data migration makes its helpers in pg_temp, "only exists
# for the current session, so we don't need to clean up the function after the migration".
PG_TEMP_HELPERS = {
    "20240826120919_init": """
        CREATE TABLE "billing_invoice_lines" ("id" character(26) NOT NULL, "ubp_id" character(26),
            PRIMARY KEY ("id"));
    """,
    "20250605131637_migrate-flat-fees-to-ubp-flat-fees": """
        -- Note: pg_temp only exists for the current session, so we don't need to clean up the function after the migration is done
        CREATE OR REPLACE FUNCTION pg_temp.generate_ulid()
        RETURNS TEXT AS $$
        BEGIN
            RETURN upper(substr(md5(random()::text), 1, 26));
        END;
        $$ LANGUAGE plpgsql;

        UPDATE billing_invoice_lines SET ubp_id = pg_temp.generate_ulid() WHERE ubp_id IS NULL;
    """,
}


def test_a_function_in_pg_temp_ends_with_its_session(make_db: Any, tmp_path: Path) -> None:
    """A function made in pg_temp is the session's and gone when it ends; the static reading
    kept it: `diff` counted it and init --sql's spec required it (`function
    pg_temp.generate_ulid does not exist` FAILed the migrated database: a false FAIL).
    Found on openmeterio/openmeter's golang-migrate history (3 such helpers)."""
    folder = _golang_migrate_folder(tmp_path, PG_TEMP_HELPERS)
    sql = "".join(PG_TEMP_HELPERS.values())
    assert _both_ways(make_db, tmp_path, "trial15_pg_temp", folder, sql) == []


# openmeter's form: a data migration that backs rows up, deletes them, and guards the result with
# a DO block that can only raise; its checks call transaction_timestamp() and jsonb_typeof().
GUARDED_CLEANUP = {
    "20240826120919_init": """
        CREATE TABLE "billing_invoice_lines" ("id" character varying NOT NULL,
            "namespace" character varying NOT NULL, "discounts" jsonb, PRIMARY KEY ("id"));
    """,
    "20260716150455_cleanup_gathering_invoice_details": """
        BEGIN;

        CREATE TABLE IF NOT EXISTS om_migration_backup_20260716150455_lines (
            backed_up_at TIMESTAMPTZ NOT NULL DEFAULT transaction_timestamp(),
            id VARCHAR NOT NULL,
            row_data JSONB NOT NULL,
            PRIMARY KEY (backed_up_at, id)
        );

        DO $$
        BEGIN
            IF EXISTS (
                SELECT 1
                FROM om_migration_backup_20260716150455_lines b
                JOIN billing_invoice_lines l ON l.id = b.id
                WHERE b.backed_up_at = transaction_timestamp()
                  AND jsonb_typeof(l.discounts -> 'usage') = 'object'
            ) THEN
                RAISE EXCEPTION 'deleting lines would cascade to discounts';
            END IF;
        END
        $$;

        COMMIT;
    """,
    "20260717090000_add_currency": """
        ALTER TABLE "billing_invoice_lines" ADD COLUMN "currency" character varying(3);
    """,
}


def test_a_guard_calling_stable_built_ins_defers_nothing(make_db: Any, tmp_path: Path) -> None:
    """A DO block that can only raise is a guard: in a history that ran to its end it changed
    nothing. Calls of `transaction_timestamp()` and `jsonb_typeof()` (built-ins PostgreSQL
    marks STABLE / IMMUTABLE: they modify nothing) made it "may change anything": every
    finding about the history after it was DEFERRED (openmeterio/openmeter: 3,487 of 3,487
    findings of init --dsn's spec, 5 such guards)."""
    folder = _golang_migrate_folder(tmp_path, GUARDED_CLEANUP)
    sql = "".join(GUARDED_CLEANUP.values())
    assert _both_ways(make_db, tmp_path, "trial15_guard", folder, sql) == []


def test_a_guard_calling_a_volatile_built_in_keeps_deferring(tmp_path: Path) -> None:
    """A VOLATILE built-in may change what the next statements do (`set_config` sets the
    search_path): a block calling one is no guard, and what follows stays DEFERRED."""
    files = dict(GUARDED_CLEANUP)
    files["20260716150455_cleanup_gathering_invoice_details"] = files[
        "20260716150455_cleanup_gathering_invoice_details"
    ].replace("= 'object'", "= 'object' AND set_config('search_path', 'om', true) <> ''")
    folder = _golang_migrate_folder(tmp_path, files)
    model = json.loads(run_cli("inspect", "--sql", folder).stdout)["model"]
    kinds = [u["kind"] for u in model["unapplied"] if "DO block" in u["reason"]]
    assert kinds == ["dynamic"], model["unapplied"]


# rubygems.org's form (Rails with schema.rb): no SQL anywhere in db/.
RAILS_SCHEMA_RB = """# This file is auto-generated from the current state of the database.
ActiveRecord::Schema[7.1].define(version: 2024_08_20_120000) do
  enable_extension "plpgsql"

  create_table "rubygems", id: :serial, force: :cascade do |t|
    t.string "name"
  end
end
"""
RAILS_MIGRATION = """class CreateRubygems < ActiveRecord::Migration[7.1]
  def change
    create_table :rubygems do |t|
      t.string :name
    end
  end
end
"""


def test_a_rails_schema_rb_is_named_not_read_as_sql(tmp_path: Path) -> None:
    """`--sql db/schema.rb` printed a model on stdout and two stderr lines, a syntax error at
    line 1 "the audit went on without this statement" and then the same error, exit 2; `--sql
    db` said only "no migration this tool can read". Each is now one line saying what the
    file or folder is and what to give instead, exit 2. Found on rubygems/rubygems.org."""
    db = tmp_path / "db"
    (db / "migrate").mkdir(parents=True)
    (db / "schema.rb").write_text(RAILS_SCHEMA_RB)
    (db / "migrate" / "20240820120000_create_rubygems.rb").write_text(RAILS_MIGRATION)
    for target in (db, db / "migrate", db / "schema.rb"):
        proc = run_cli("inspect", "--sql", target)
        assert proc.returncode == 2, proc
        assert proc.stdout == ""
        lines = proc.stderr.splitlines()
        assert len(lines) == 1 and str(target) in lines[0], lines
        assert "Rails" in lines[0] and "Traceback" not in proc.stderr
