"""Real-world trial (seventeenth session, trial16): static reading == catalog on projects' own forms.

Fixtures are written here in each project's style; no project file is copied. Each test applies
its SQL to a real database and compares what the tool says of the static reading of the same SQL
with what the catalog says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli_runner import run_cli
from test_realworld_trial15 import _both_ways, _golang_migrate_folder

# rudderlabs/rudder-server's form (golang-migrate): a PL/pgSQL helper asks
# information_schema.constraint_column_usage whether a constraint exists and EXECUTEs its
# ALTER TABLE when not; the migration calls it with a bare SELECT.
HELPER = """
    create or replace function create_constraint_if_not_exists (
        t_name text, c_name text, constraint_sql text
    )
    returns void AS
    $$
    begin
        -- Look for our constraint
        if not exists (select constraint_name
                       from information_schema.constraint_column_usage
                       where table_name = t_name  and constraint_name = c_name) then
            execute constraint_sql;
        end if;
    end;
    $$ language 'plpgsql';
"""
CONSTRAINT_HELPER = {
    "000001_create_tables": """
        CREATE TABLE IF NOT EXISTS wh_uploads (id BIGSERIAL PRIMARY KEY, source_id VARCHAR(64));
        CREATE TABLE IF NOT EXISTS wh_table_uploads (
            id BIGSERIAL PRIMARY KEY,
            wh_upload_id BIGSERIAL NOT NULL REFERENCES wh_uploads (id),
            table_name TEXT,
            CONSTRAINT table_name_set CHECK (table_name <> ''));
    """,
    "000006_add_wh_table_uploads_unique_constraint": HELPER
    + """
    SELECT create_constraint_if_not_exists(
            'wh_table_uploads',
            'unique_table_upload_wh_upload',
            'ALTER TABLE wh_table_uploads ADD CONSTRAINT unique_table_upload_wh_upload UNIQUE (wh_upload_id, table_name);');
    SELECT create_constraint_if_not_exists(
            'wh_table_uploads',
            'table_name_set',
            'ALTER TABLE wh_table_uploads ADD CONSTRAINT table_name_set CHECK (table_name <> ''x'');');
    SELECT create_constraint_if_not_exists(
            'wh_uploads',
            'wh_table_uploads_wh_upload_id_fkey',
            'ALTER TABLE wh_uploads ADD CONSTRAINT wh_table_uploads_wh_upload_id_fkey UNIQUE (source_id);')
    """,
}


def test_a_select_calling_the_historys_ddl_helper_runs_its_body(
    make_db: Any, tmp_path: Path
) -> None:
    """`SELECT create_constraint_if_not_exists(…)` was read as "SELECT: does not alter the
    schema": the UNIQUE constraint the helper adds was missing from the static model (init
    --dsn's spec FAILed the history; a spec of the table without it PASSed: false FAIL, false
    PASS). The body now runs with its arguments, its catalog question answered from the model
    (a CHECK's and a foreign key's referenced columns count: the last two calls add nothing).
    Found on rudderlabs/rudder-server's warehouse migrations."""
    folder = _golang_migrate_folder(tmp_path, CONSTRAINT_HELPER)
    sql = "".join(CONSTRAINT_HELPER.values())
    assert _both_ways(make_db, tmp_path, "trial16_ddl_helper", folder, sql) == []


ROW_HELPER = {
    "000001_create_tables": """
        CREATE TABLE wh_uploads (id BIGSERIAL PRIMARY KEY, namespace TEXT);
        CREATE TABLE wh_schemas (id BIGSERIAL PRIMARY KEY, namespace TEXT);
        create or replace function add_audit_column (t_name text) returns void AS $$
        begin
            execute format('ALTER TABLE %I ADD COLUMN IF NOT EXISTS audited_at timestamp', t_name);
        end;
        $$ language plpgsql;
    """,
    "000002_audit_columns": """
        SELECT add_audit_column(t) FROM unnest(ARRAY['wh_uploads', 'wh_schemas']) AS t;
    """,
    "000003_audit_in_a_block": """
        DO $$ BEGIN PERFORM add_audit_column('wh_uploads'); END $$;
    """,
}


def test_a_call_the_reader_cannot_run_defers_what_the_body_may_change(
    make_db: Any, tmp_path: Path
) -> None:
    """A call once per row (a SELECT with FROM) and a PERFORM in a DO block were taken as
    changing nothing: the column the helper adds was missing (init --dsn's spec FAILed the
    history). They are now listed as not applied with the body's effects: undecided, DEFERRED."""
    folder = _golang_migrate_folder(tmp_path, ROW_HELPER)
    dsn = make_db("trial16_row_helper", "".join(ROW_HELPER.values()))
    diff = json.loads(run_cli("diff", folder, dsn, "-f", "json").stdout)
    assert diff["differences"] == []
    assert {u["object"] for u in diff["undecided"]} >= {
        "column public.wh_uploads.audited_at",
        "column public.wh_schemas.audited_at",
    }
    reasons = [u["reason"] for u in diff["left"]["unapplied_statements"]]
    assert any("SELECT calls public.add_audit_column(t_name text)" in r for r in reasons)
    assert any("PERFORM calls public.add_audit_column(t_name text)" in r for r in reasons)
    live_spec = tmp_path / "live.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", live_spec).returncode == 0
    audit = json.loads(run_cli("audit", "-s", live_spec, "--sql", folder, "-f", "json").stdout)
    assert [f["id"] for f in audit["findings"] if f["status"] == "FAIL"] == []


def _prisma_folder(tmp_path: Path, files: dict[str, str]) -> Path:
    """``files`` (timestamp_name -> migration.sql) as a Prisma migrations folder."""
    folder = tmp_path / "migrations"
    for name, text in files.items():
        (folder / name).mkdir(parents=True)
        (folder / name / "migration.sql").write_text(text)
    (folder / "migration_lock.toml").write_text('provider = "postgresql"\n')
    return folder


def _statically(make_db: Any, tmp_path: Path, label: str, folder: Path, sql: str) -> dict[str, str]:
    """init --dsn's spec of the database ``sql`` builds, audited against the static reading
    of ``folder``: each finding's status by id."""
    live_spec = tmp_path / "live.yaml"
    assert run_cli("init", "--dsn", make_db(label, sql), "-o", live_spec).returncode == 0
    report = json.loads(run_cli("audit", "-s", live_spec, "--sql", folder, "-f", "json").stdout)
    return {f["id"]: f["status"] for f in report["findings"]}


# stack-auth/stack-auth's form (Prisma folder, its own runner): a best-effort pg_cron setup that
# a server without pg_cron skips with a notice.
BEST_EFFORT_EXTENSION = {
    "20260323150000_add_bulldozer_timefold_queue": """
        CREATE TABLE "BulldozerTimeFoldQueue" ("id" UUID NOT NULL, CONSTRAINT "BulldozerTimeFoldQueue_pkey" PRIMARY KEY ("id"));
        -- Best-effort pg_cron setup. If pg_cron is unavailable, the queue can still be
        -- processed via explicit calls.
        DO $$
        BEGIN
          CREATE EXTENSION IF NOT EXISTS pg_cron;
        EXCEPTION
          WHEN insufficient_privilege OR undefined_file OR feature_not_supported OR object_not_in_prerequisite_state OR raise_exception THEN
            CREATE TABLE "BulldozerTimeFoldPolling" ("id" UUID NOT NULL PRIMARY KEY);
            RAISE NOTICE 'Skipping pg_cron extension setup for bulldozer timefold worker.';
        END
        $$;
    """,
}


def test_an_extension_a_handler_may_skip_is_not_taken_as_made(make_db: Any, tmp_path: Path) -> None:
    """`CREATE EXTENSION IF NOT EXISTS pg_cron` inside a handler for undefined_file … was read
    as made: init --sql's spec required pg_cron and FAILed a PostgreSQL 15 without it (where the
    history runs to its end), and the table the handler makes instead was missing statically
    (FAIL). Whether the server has the extension is not in the history: the extension and what
    the handler does are DEFERRED. Found on stack-auth/stack-auth's Prisma history."""
    folder = _prisma_folder(tmp_path, BEST_EFFORT_EXTENSION)
    status = _statically(
        make_db,
        tmp_path,
        "trial16_best_effort_ext",
        folder,
        "".join(BEST_EFFORT_EXTENSION.values()),
    )
    assert [i for i, s in status.items() if s == "FAIL"] == []
    assert status["strict.extensions"] == "DEFERRED"
    assert status["tables.BulldozerTimeFoldPolling"] == "DEFERRED"
    # made or not, the extension changes nothing else the audit reads: the other table is judged
    assert status["tables.BulldozerTimeFoldQueue.exactly.columns"] == "PASS"


def test_a_waiver_of_a_deferred_mixed_case_table_is_not_stale(make_db: Any, tmp_path: Path) -> None:
    """init --dsn waived SCH001 on the handler's table, which has no primary key, quoting its
    mixed-case name (`rules.SCH001.public."BulldozerTimeFoldPolling"`); statically that table is
    DEFERRED, so the rule could not run on it, but the waiver was compared with the unquoted
    name and called stale: FAIL (every Prisma project's PascalCase tables). Found on
    stack-auth/stack-auth."""
    files = {
        name: text.replace('("id" UUID NOT NULL PRIMARY KEY)', '("id" UUID NOT NULL)')
        for name, text in BEST_EFFORT_EXTENSION.items()
    }
    folder = _prisma_folder(tmp_path, files)
    status = _statically(
        make_db, tmp_path, "trial16_waiver_quoted", folder, "".join(files.values())
    )
    live_spec = (tmp_path / "live.yaml").read_text()
    assert 'rules.SCH001.public."BulldozerTimeFoldPolling"' in live_spec
    assert [i for i, s in status.items() if s == "FAIL"] == []
    assert status["waivers.0"] == "DEFERRED"


# stack-auth's form: a generated jsonb[] column whose CASE has a bare NULL branch; PostgreSQL
# stores it typed (`THEN NULL::jsonb[]`).
GENERATED_NULL_BRANCH = {
    "20260323120000_add_bulldozer_data": """
        CREATE TABLE "BulldozerStorageEngine" (
            "id" UUID NOT NULL DEFAULT gen_random_uuid(),
            "keyPath" JSONB[] NOT NULL,
            "keyPathParent" JSONB[] GENERATED ALWAYS AS (
              CASE
                WHEN cardinality("keyPath") = 0 THEN NULL
                ELSE "keyPath"[1:cardinality("keyPath") - 1]
              END
            ) STORED,
            "depth" INTEGER GENERATED ALWAYS AS (
              CASE WHEN cardinality("keyPath") = 0 THEN NULL ELSE cardinality("keyPath") END
            ) STORED,
            CONSTRAINT "BulldozerStorageEngine_pkey" PRIMARY KEY ("id"),
            CONSTRAINT "BulldozerStorageEngine_keyPath_key" UNIQUE ("keyPath")
        );
    """,
}


def test_a_null_branch_of_an_array_typed_case_is_the_null_written(
    make_db: Any, tmp_path: Path
) -> None:
    """`THEN NULL` of a jsonb[] CASE is stored `THEN NULL::jsonb[]`: the cast of a NULL was
    dropped for scalar types only, an array type's went to the array-literal rules and stayed,
    so the generated expression differed both ways (`diff` counted it; each side's spec FAILed
    the other: false FAIL). Found on stack-auth/stack-auth's Prisma history."""
    folder = _prisma_folder(tmp_path, GENERATED_NULL_BRANCH)
    sql = "".join(GENERATED_NULL_BRANCH.values())
    assert _both_ways(make_db, tmp_path, "trial16_null_branch", folder, sql) == []


# review17's cases on 93e0df0 (confirmed with psql 15): calls PostgreSQL does not run the body of
NOT_RUN_CALLS = {
    "000001_helpers": """
        CREATE FUNCTION pg_temp.mk(t text) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN EXECUTE format('CREATE TABLE public.%I (id int)', t); END $$;
        SELECT pg_temp.mk('t_tmp_qualified');
        CREATE FUNCTION f_strict(t text, u text) RETURNS void LANGUAGE plpgsql STRICT AS $$
        BEGIN EXECUTE format('CREATE TABLE %I (id int)', coalesce(u, t)); END $$;
        SELECT f_strict('t_strict', NULL);
        SELECT f_strict('t_strict2', NULL::text);
        SELECT f_strict('t_strict3', 't_strict3');
    """,
}


def test_a_strict_helper_given_null_and_a_temp_helper_run_as_postgresql_runs_them(
    make_db: Any, tmp_path: Path
) -> None:
    """A STRICT function called with a NULL argument returns NULL without running its body
    (no table); a function in pg_temp is found only when the call names pg_temp. The lone
    SELECT ran both bodies: tables PostgreSQL never made were in the static model (false PASS
    of a spec requiring them; review17)."""
    folder = _golang_migrate_folder(tmp_path, NOT_RUN_CALLS)
    sql = "".join(NOT_RUN_CALLS.values())
    assert _both_ways(make_db, tmp_path, "trial16_not_run_calls", folder, sql) == []
    # unqualified, a pg_temp function is not found, not even where the search_path names
    # pg_temp or an extension leaves the call undecided: PostgreSQL 15 refuses the call
    # ("function mk(unknown) does not exist"; the migration stops there); the reading does
    # not make what its body would (the explicit path was a false PASS, coordinator s19)
    helper = NOT_RUN_CALLS["000001_helpers"].split("SELECT pg_temp.mk")[0]
    for before in ("", "SET search_path = pg_temp, public;\n", "CREATE EXTENSION pgcrypto;\n"):
        unqualified = tmp_path / f"unqualified{len(before)}"
        unqualified.mkdir()
        (unqualified / "000001_helpers.up.sql").write_text(
            before + helper + "SELECT mk('t_tmp_unqualified');\n"
        )
        model = json.loads(run_cli("inspect", "--sql", unqualified).stdout)
        assert "public.t_tmp_unqualified" not in model["model"]["tables"], before
        refused = [u["sql"] for u in model["model"]["unapplied"] if u["kind"] == "error"]
        # refused as PostgreSQL refuses it, where no extension may have brought an mk
        assert refused == ([] if "EXTENSION" in before else ["SELECT mk('t_tmp_unqualified')"])


DO_EXPRESSION_CALLS = {
    "000001_accounts": """
        CREATE TABLE accounts (id int PRIMARY KEY, email text, login text);
        create or replace function add_unique (t_name text, c_name text, constraint_sql text)
        returns void AS $$
        begin
            if not exists (select 1 from pg_constraint where conname = c_name) then
                execute constraint_sql;
            end if;
        end;
        $$ language plpgsql;
    """,
    "000002_uniques": """
        DO $$ DECLARE v text; BEGIN
            v := add_unique('accounts', 'accounts_email_key',
                'ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email)');
        END $$;
    """,
}


def test_a_helper_called_in_a_do_blocks_expression_defers_its_body(
    make_db: Any, tmp_path: Path
) -> None:
    """`v := add_unique(…)` in a DO block stopped the block at a function the evaluator does
    not run, and the stop was recorded as data: the UNIQUE constraint its body adds was
    missing and `exactly: [unique]` PASSed statically (false PASS; review17). The body's
    effects are now open: DEFERRED."""
    folder = _golang_migrate_folder(tmp_path, DO_EXPRESSION_CALLS)
    status = _statically(
        make_db, tmp_path, "trial16_do_expression", folder, "".join(DO_EXPRESSION_CALLS.values())
    )
    assert [i for i, s in status.items() if s == "FAIL"] == []
    assert status["tables.accounts.exactly.unique"] == "DEFERRED"


# lukevella/rallly's form (Prisma): a data migration loops over the project's own rows.
ROW_LOOP = {
    "20220315143815_init": """
        CREATE TABLE "polls" ("id" TEXT NOT NULL, "time_zone" TEXT, CONSTRAINT "polls_pkey" PRIMARY KEY ("id"));
        CREATE TABLE "options" ("id" TEXT NOT NULL, "start" TIMESTAMP(0) NOT NULL, "poll_id" TEXT NOT NULL,
            CONSTRAINT "options_pkey" PRIMARY KEY ("id"));
    """,
    "20240224033808_option_start_time": """
        -- AlterTable
        ALTER TABLE "options" ADD COLUMN     "start_time" TIMESTAMP(0);

        DO
        $do$
        DECLARE
           poll_record RECORD;
        BEGIN
           FOR poll_record IN SELECT id, "time_zone" FROM polls
           LOOP
              UPDATE options SET "start_time" = "start" WHERE "poll_id" = poll_record.id;
           END LOOP;
        END
        $do$;
    """,
}


def test_a_loop_over_the_projects_rows_is_named_as_data(make_db: Any, tmp_path: Path) -> None:
    """The block's reason said "the catalog relation polls is not modelled", as if the reader
    lacked a catalog table: polls is the project's, and its rows are data no history holds.
    Found on lukevella/rallly."""
    folder = _prisma_folder(tmp_path, ROW_LOOP)
    sql = "".join(ROW_LOOP.values())
    assert _both_ways(make_db, tmp_path, "trial16_row_loop", folder, sql) == []
    model = json.loads(run_cli("inspect", "--sql", folder).stdout)["model"]
    [block] = [u for u in model["unapplied"] if "DO block" in u["reason"]]
    assert block["kind"] == "data"
    assert "it reads the rows of polls, a relation of the history" in block["reason"]
    assert "catalog relation" not in block["reason"]


def test_null_casts_of_different_types_are_not_equated(make_db: Any, tmp_path: Path) -> None:
    """cfce446 dropped every NULL's cast, so a view PostgreSQL stores as `SELECT NULL::text[]`
    PASSed a spec stating `NULL::integer[]` (its column is text[], not integer[]), and so did
    a CASE of two NULL branches: a false PASS (review17). Only a CASE's NULL branch beside a
    branch that is not NULL (which fixes the CASE's type) is taken as the bare NULL."""
    dsn = make_db(
        "trial16_null_casts",
        "CREATE VIEW v_arr AS SELECT NULL::text[] AS x;"
        " CREATE TABLE t (k int, c text[] GENERATED ALWAYS AS"
        " (CASE WHEN k > 0 THEN NULL::text[] ELSE NULL::text[] END) STORED);",
    )
    spec = tmp_path / "spec.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", spec).returncode == 0
    text = spec.read_text()
    assert text.count("NULL::text[]") >= 3
    spec.write_text(text.replace("NULL::text[]", "NULL::integer[]"))
    report = json.loads(run_cli("audit", "-s", spec, "--dsn", dsn, "-f", "json").stdout)
    status = {f["id"]: f["status"] for f in report["findings"]}
    assert status["views.v_arr"] != "PASS"
    assert status["tables.t.columns.c"] != "PASS"


# review17 on ce09433: what a handled body ran before the undecided statement is undone when
# it fails (the handler's subtransaction), so it stays open too
BODY_BEFORE_EXTENSION = {
    "20260323150000_cron": """
        DO $$
        BEGIN
          CREATE TABLE cron_meta (id int PRIMARY KEY);
          CREATE EXTENSION IF NOT EXISTS pg_cron;
        EXCEPTION WHEN feature_not_supported OR undefined_file THEN
          RAISE NOTICE 'pg_cron is not installed';
        END $$;
    """,
}


def test_what_a_handled_body_ran_before_an_undecided_extension_stays_open(
    make_db: Any, tmp_path: Path
) -> None:
    """PostgreSQL 15 without pg_cron rolls cron_meta back with the handler's subtransaction
    (feature_not_supported: "extension "pg_cron" is not available"); the reading kept it
    made, so init --dsn's spec (no cron_meta) FAILed the history on strict.tables."""
    folder = _prisma_folder(tmp_path, BODY_BEFORE_EXTENSION)
    sql = "".join(BODY_BEFORE_EXTENSION.values())
    status = _statically(make_db, tmp_path, "trial16_body_before_ext", folder, sql)
    assert [i for i, s in status.items() if s == "FAIL"] == []
    assert status["strict.tables"] == "DEFERRED"


def test_a_call_postgresql_refuses_for_its_argument_types_is_not_run(tmp_path: Path) -> None:
    """`SELECT mk(42)` for `mk(t text)`: PostgreSQL finds no mk(integer) and refuses the call,
    but the lone call ran the body (t_42 made statically; review17). An argument runs a
    body only where it surely reaches the parameter's type."""
    folder = _golang_migrate_folder(
        tmp_path,
        {
            "000001_helpers": """
                CREATE FUNCTION mk(t text) RETURNS void LANGUAGE plpgsql AS $$
                BEGIN EXECUTE format('CREATE TABLE %I (id int)', 't_' || t); END $$;
                CREATE FUNCTION mkn(n int) RETURNS void LANGUAGE plpgsql AS $$
                BEGIN EXECUTE format('CREATE TABLE t_n%s (id int)', n); END $$;
                SELECT mk(42);
                SELECT mk(true);
                SELECT mkn(9::bigint);
                SELECT mk('made');
                SELECT mkn(7);
            """,
        },
    )
    tables = json.loads(run_cli("inspect", "--sql", folder).stdout)["model"]["tables"]
    assert {"public.t_made", "public.t_n7"} <= set(tables)
    assert not {"public.t_42", "public.t_true", "public.t_n9"} & set(tables)


ROW_ONLY_HELPER = {
    "000001_audit": """
        CREATE TABLE accounts (id int PRIMARY KEY, email text);
        CREATE TABLE audit_log (id int PRIMARY KEY, note text);
        CREATE FUNCTION log_it(x int) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO audit_log VALUES (x, 'seeded'); PERFORM pg_notify('audit', x::text); END $$;
        INSERT INTO accounts VALUES (1, 'a@example.com');
        SELECT log_it(id) FROM accounts;
    """,
}


def test_a_helper_performing_a_built_in_changes_no_schema(make_db: Any, tmp_path: Path) -> None:
    """A body's PERFORM of a built-in (pg_notify) made it "may change anything": every table
    DEFERRED after `SELECT log_it(id) FROM accounts` (review17: a precision loss of 93e0df0).
    Only a PERFORM of a function neither built in nor the history's keeps that."""
    folder = _golang_migrate_folder(tmp_path, ROW_ONLY_HELPER)
    sql = "".join(ROW_ONLY_HELPER.values())
    status = _statically(make_db, tmp_path, "trial16_row_only_helper", folder, sql)
    assert status["tables.accounts.exactly.columns"] == "PASS"
    assert status["tables.audit_log.exactly.columns"] == "PASS"


# mckaywrigley/chatbot-ui's form (supabase/migrations): a search function's optional arguments.
NULL_ARGUMENT_DEFAULTS = {
    "20240108234545_add_file_items.sql": """
        create function match_file_items_local (
          query_embedding real[],
          match_count int DEFAULT null,
          file_ids UUID[] DEFAULT null
        ) returns table (id UUID, similarity float)
        language plpgsql
        as $$
        begin
          return query select gen_random_uuid(), 0::float limit match_count;
        end;
        $$;
    """,
}


def test_a_null_argument_default_is_null_whatever_its_cast(make_db: Any, tmp_path: Path) -> None:
    """`file_ids UUID[] DEFAULT null` is stored `NULL::uuid[]` (the parameter's type, which
    the signature states): the defaults differed both ways (false FAIL). Found on
    mckaywrigley/chatbot-ui."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, text in NULL_ARGUMENT_DEFAULTS.items():
        (folder / name).write_text(text)
    sql = "".join(NULL_ARGUMENT_DEFAULTS.values())
    assert _both_ways(make_db, tmp_path, "trial16_null_arg_defaults", folder, sql) == []


def test_a_helper_redefined_later_is_read_again(tmp_path: Path) -> None:
    """Whether a body may change the schema was cached by its text, but it depends on the
    functions it calls at that point: outer_fn called helper2, which only inserted, then
    helper2 was redefined to add a constraint; the second call of outer_fn was read as data
    and `exactly: [unique]` PASSed statically (false PASS; review17's f12)."""
    folder = _golang_migrate_folder(
        tmp_path,
        {
            "000001_log": """
                CREATE TABLE accounts (id int PRIMARY KEY, email text);
                CREATE TABLE log (id int);
                CREATE FUNCTION helper2(x int) RETURNS int LANGUAGE plpgsql AS $$
                BEGIN INSERT INTO log VALUES (x); RETURN x; END $$;
                CREATE FUNCTION outer_fn(x int) RETURNS void LANGUAGE plpgsql AS $$
                DECLARE v int;
                BEGIN v := helper2(x); END $$;
                INSERT INTO accounts VALUES (1, 'a@example.com');
                SELECT outer_fn(id) FROM accounts;
                CREATE OR REPLACE FUNCTION helper2(x int) RETURNS int LANGUAGE plpgsql AS $$
                BEGIN
                  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'log_id_key') THEN
                    ALTER TABLE log ADD CONSTRAINT log_id_key UNIQUE (id);
                  END IF;
                  RETURN x;
                END $$;
                SELECT outer_fn(id) FROM accounts;
            """,
        },
    )
    model = json.loads(run_cli("inspect", "--sql", folder).stdout)["model"]
    reasons = [u["reason"] for u in model["unapplied"] if u["line"] and u["line"] > 17]
    assert any("SELECT calls public.outer_fn(x integer)" in r for r in reasons), reasons


def test_a_data_statements_effects_hold_the_helpers_it_calls() -> None:
    """A statement named again later as perhaps undone (a transaction the next failure rolls
    back: `BEGIN; SELECT mk('t_in_tx'); ALTER TABLE missing_table …; COMMIT;`, review17's
    x17) is judged by its effects, and a SELECT's were none, though the lone call made
    t_in_tx: it stayed for sure (false PASS). A data statement's effects now hold those of
    the history's functions it calls."""
    from schema_audit.pgparse import parse_sql
    from schema_audit.sources import effects as fx
    from schema_audit.sources.ddl import DdlInterpreter

    interpreter = DdlInterpreter()
    interpreter.apply_sql(
        "CREATE FUNCTION mk(t text) RETURNS void LANGUAGE plpgsql AS $$"
        " BEGIN EXECUTE format('CREATE TABLE %I (id int)', t); END $$;"
    )
    select = parse_sql("SELECT mk('t_in_tx')")[0].stmt
    assert fx.statement_effects(select, interpreter) != []
    plain = parse_sql("SELECT lower('x')")[0].stmt
    assert fx.statement_effects(plain, interpreter) == []
