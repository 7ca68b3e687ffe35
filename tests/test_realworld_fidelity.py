"""Static readings of real-project idioms, each compared with the catalog after applying them.

Each test reproduces, in a small fixture written in the project's style, a difference found by
applying a public project's migration history to PostgreSQL and comparing `diff` of the history
with the migrated database.
"""

from __future__ import annotations

import json

import psycopg
import pytest

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret


def _differences(make_db, script: str) -> list[str]:  # type: ignore[no-untyped-def]
    dsn = make_db("rw", script)
    return [str(d) for d in diff_models(live.introspect(dsn), interpret(script))]


def test_prisma_enum_change_renames_the_new_type(make_db) -> None:  # type: ignore[no-untyped-def]
    """Prisma changes an enum by creating `X_new`, moving the columns to it, renaming `X` to
    `X_old`, `X_new` to `X` and dropping `X_old` (a Prisma project did this ten times).
    Statically the renames were not interpreted: the model kept `X_new` with the columns on it
    and `X` with the old labels, so the audit FAILed a column type PostgreSQL has."""
    script = """
        -- CreateEnum
        CREATE TYPE "MonitorStatus" AS ENUM ('ACTIVE', 'PAUSED');
        CREATE TYPE "Kind" AS ENUM ('A', 'B');
        -- CreateTable
        CREATE TABLE "monitors" (
            "id" TEXT NOT NULL,
            "status" "MonitorStatus" NOT NULL DEFAULT 'ACTIVE',
            "history" "MonitorStatus"[],
            CONSTRAINT "monitors_pkey" PRIMARY KEY ("id")
        );
        -- AlterEnum
        BEGIN;
        CREATE TYPE "MonitorStatus_new" AS ENUM ('PAUSED', 'ACTIVE', 'ERROR');
        ALTER TABLE "monitors" ALTER COLUMN "status" DROP DEFAULT;
        ALTER TABLE "monitors" ALTER COLUMN "status" TYPE "MonitorStatus_new"
            USING ("status"::text::"MonitorStatus_new");
        ALTER TABLE "monitors" ALTER COLUMN "history" TYPE "MonitorStatus_new"[]
            USING ("history"::text::"MonitorStatus_new"[]);
        ALTER TYPE "MonitorStatus" RENAME TO "MonitorStatus_old";
        ALTER TYPE "MonitorStatus_new" RENAME TO "MonitorStatus";
        DROP TYPE "MonitorStatus_old";
        ALTER TABLE "monitors" ALTER COLUMN "status" SET DEFAULT 'PAUSED';
        COMMIT;
        -- a rename kept as is; a default casting to the type follows it
        ALTER TABLE "monitors" ADD COLUMN "kind2" "Kind" DEFAULT 'B'::"Kind";
        ALTER TYPE "Kind" RENAME TO "ObjectKind";
        ALTER TABLE "monitors" ADD COLUMN "kind" "ObjectKind" DEFAULT 'A';
    """
    assert _differences(make_db, script) == []
    static = interpret(script)
    assert sorted(static.enums) == ['public."MonitorStatus"', 'public."ObjectKind"']
    assert static.enums['public."MonitorStatus"'].labels == ["PAUSED", "ACTIVE", "ERROR"]
    assert static.tables["public.monitors"].columns["history"].type == '"MonitorStatus"[]'
    assert not static.unapplied


def test_temporary_tables_of_a_migration_are_not_part_of_the_schema(make_db) -> None:  # type: ignore[no-untyped-def]
    """A Prisma backfill migration built a `CREATE TEMP TABLE … ON COMMIT DROP AS` mapping table
    with a unique index and joined it: statically it became a permanent public table (with a
    SCH001 "no primary key" FAIL and an `init` requirement the database can never meet)."""
    script = """
        CREATE TABLE "evaluators" ("id" TEXT NOT NULL PRIMARY KEY, "job_id" TEXT);
        CREATE TABLE "group_map" ("id" TEXT PRIMARY KEY);
        BEGIN;
        CREATE TEMP TABLE "group_map" ON COMMIT DROP AS
        SELECT "id" AS "job_id", md5("id") AS "group_id" FROM "evaluators";
        CREATE UNIQUE INDEX ON "group_map" ("job_id");
        ALTER TABLE "group_map" ADD COLUMN "note" TEXT;
        UPDATE "evaluators" e SET "job_id" = g."group_id" FROM "group_map" g WHERE g."job_id" = e."id";
        CREATE TEMPORARY TABLE scratch (a int);
        CREATE TEMP VIEW scratch_v AS SELECT a FROM scratch;
        COMMIT;
    """
    assert _differences(make_db, script) == []
    static = interpret(script)
    assert sorted(static.tables) == ["public.evaluators", "public.group_map"]
    assert list(static.tables["public.group_map"].columns) == ["id"]
    assert not static.views


def test_policy_subquery_names_bind_as_postgresql_binds_them(make_db) -> None:  # type: ignore[no-untyped-def]
    """Basejump-style (Supabase) policies compare the policy's table with a subquery on another
    table by bare names: `WHERE account_id = accounts.id` binds `account_id` to the policy's own
    table (accounts has none), which PostgreSQL prints `account_user.account_id`. Statically the
    bare name stayed, so the static and the live predicate differed (a false FAIL each way);
    a name the subquery's table has stays bound to it, and an unknown FROM item is left alone."""
    script = """
        CREATE SCHEMA basejump;
        CREATE TABLE basejump.accounts (id uuid PRIMARY KEY, primary_owner_user_id uuid,
                                        personal_account boolean, slug text);
        CREATE TABLE basejump.account_user (user_id uuid, account_id uuid, slug text);
        CREATE TABLE basejump.invitations (id uuid, account_id uuid, slug text);
        ALTER TABLE basejump.account_user ENABLE ROW LEVEL SECURITY;
        ALTER TABLE basejump.invitations ENABLE ROW LEVEL SECURITY;
        CREATE FUNCTION basejump.owner(uuid) RETURNS boolean LANGUAGE sql AS 'SELECT true';
        create policy "users can be deleted by owners except the primary owner" on basejump.account_user
            for delete to authenticated
            using (
                basejump.owner(account_id) = true
                AND user_id != (select primary_owner_user_id
                                from basejump.accounts
                                where account_id = accounts.id)
            );
        create policy "created by owners" on basejump.invitations
            for insert to authenticated
            with check (
                (select personal_account from basejump.accounts where id = account_id) = false
                and exists (select 1 from basejump.accounts a where a.id = account_id and slug = 'x')
                and account_id in (select account_id from basejump.account_user u
                                   union select id from basejump.accounts)
                and exists (select 1 from generate_series(1, 2) g where g = 1 and slug = 'y')
            );
        alter policy "created by owners" on basejump.invitations
            with check (exists (select 1 from basejump.accounts where id = account_id));
        create policy "complex" on basejump.invitations for update
            using (
                (select personal_account from basejump.accounts where id = account_id) = false
                and exists (select 1 from basejump.accounts a where a.id = account_id and slug = 'x')
                and account_id in (select account_id from basejump.account_user u
                                   union select id from basejump.accounts)
            );
        create policy "read" on basejump.invitations for select
            using (exists (select 1 from basejump.accounts where id = account_id));
    """
    role = "DO $$ BEGIN CREATE ROLE authenticated; EXCEPTION WHEN duplicate_object THEN END $$;"
    dsn = make_db("rw", role + script)
    differences = [str(d) for d in diff_models(live.introspect(dsn), interpret(script))]
    assert differences == [], "\n".join(differences)
    unknown = interpret(
        script
        + """create policy "fn" on basejump.invitations for delete
             using (exists (select 1 from generate_series(1, 2) g where g = 1 and slug = 'y'));"""
    )
    assert "AND slug = 'y'" in unknown.tables["basejump.invitations"].policies["fn"].using


def test_alter_function_settings_as_the_catalog_holds_them(make_db) -> None:  # type: ignore[no-untyped-def]
    """Supabase-style hardening after the fact: `ALTER FUNCTION … SET search_path = ''`,
    `SECURITY INVOKER` / `DEFINER`, volatility. ALTER FUNCTION was not interpreted, so a later
    switch to SECURITY INVOKER left the static audit DEFERRED (exit 0) where the database FAILs
    the spec; numeric settings (`SET work_mem = 100`) were read as empty."""
    script = """
        create schema basejump;
        create function basejump.has_role(account_id uuid, role text default null)
            returns boolean language sql security definer set search_path = public
            as 'select true';
        create function basejump.is_set(field_name text) returns boolean language sql
            set work_mem = 100 set search_path = public, basejump as 'select true';
        create function public.get_config() returns json language sql as 'select null::json';
        create procedure public.refresh(n int) language sql as 'select 1';
        alter function basejump.has_role(uuid, text) security invoker stable;
        alter function basejump.has_role set search_path = '';
        alter function basejump.is_set(text) set work_mem = '64MB' reset search_path strict;
        alter function public.get_config() set search_path = pg_catalog, public parallel safe;
        alter function public.get_config() cost 10 security definer immutable;
        alter procedure public.refresh(int) set search_path = '' reset all;
        alter routine public.refresh set statement_timeout = 1000;
    """
    assert _differences(make_db, script) == []
    static = interpret(script)
    assert not static.unapplied
    has_role = static.functions["basejump.has_role(account_id uuid, role text)"]
    assert (has_role.security_definer, has_role.volatility) == (False, "STABLE")
    assert static.functions["public.refresh(IN n integer)"].config == ["statement_timeout=1000"]


def test_an_invalid_index_does_not_meet_an_index_requirement(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A Prisma history builds indexes with CREATE INDEX CONCURRENTLY; when one fails (a
    duplicate for a UNIQUE one) PostgreSQL leaves it INVALID: kept up to date, never used by a
    query. `init --dsn` then `audit --dsn` PASSed its index requirement (`columns:` and
    `leading:`) on such an index; only `covers:` looked at validity."""
    import psycopg

    from schema_audit.api import audit_model
    from schema_audit.spec.load import load_spec

    dsn = make_db("rw", 'CREATE TABLE "audit_logs" ("id" TEXT PRIMARY KEY, "created_at" int)')
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO audit_logs VALUES ('a', 1), ('b', 1)")
        conn.execute('CREATE INDEX CONCURRENTLY "audit_logs_id_idx" ON "audit_logs" ("id")')
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(
                'CREATE UNIQUE INDEX CONCURRENTLY "audit_logs_created_at_idx" '
                'ON "audit_logs" ("created_at")'
            )
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: s\ntables:\n  audit_logs:\n    indexes:\n"
        "    - {name: audit_logs_created_at_idx, columns: [created_at], unique: true}\n"
        "    - {leading: [created_at]}\n"
        "    - {name: audit_logs_id_idx, columns: [id]}\n"
    )
    result = audit_model(load_spec(spec), live.introspect(dsn), "live", rules="none")
    got = {f.id: f.status for f in result.findings if ".indexes." in f.id}
    assert got == {
        "tables.audit_logs.indexes.audit_logs_created_at_idx": "FAIL",
        "tables.audit_logs.indexes.leading_created_at": "FAIL",
        "tables.audit_logs.indexes.audit_logs_id_idx": "PASS",
    }, got


def test_alembic_index_options_read_from_the_syntax_tree(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A squashed Alembic history whose revision imports alembic_utils (absent here) is read
    from its syntax tree: `postgresql_ops`, `postgresql_nulls_not_distinct`, `postgresql_with`
    and a unique constraint's `deferrable`/`initially` were dropped without a word, so the
    static model had plain indexes where the database has NULLS NOT DISTINCT and
    text_pattern_ops ones. Read now as Alembic renders them; an unknown postgresql_* keyword
    is a blind spot naming its line."""
    from pathlib import Path

    from schema_audit.sources.alembic import model_from_history, render_history

    project = Path(__file__).parent / "fixtures" / "alembic_index_options"
    rendered = model_from_history(render_history(project))
    read_history = render_history(project, execute=False)
    assert [r.blind_spots for r in read_history.revisions] == [[]]
    read = model_from_history(read_history)
    assert [str(d) for d in diff_models(rendered, read)] == []
    index = read.tables["public.customers"].indexes["ix_customers_scope_unique"]
    assert index.nulls_not_distinct and index.where
    assert read.tables["public.customers"].uniques["customers_external_id_key"].initially_deferred

    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a1.py").write_text(
        '"""t"""\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        'revision = "a1"\ndown_revision = None\n\n\ndef upgrade():\n'
        '    op.create_table("t", sa.Column("a", sa.Text()))\n'
        '    op.create_index("t_a", "t", ["a"], postgresql_tablespace="fast")\n'
    )
    blind = render_history(tmp_path, execute=False).revisions[0].blind_spots
    assert blind == [(11, "create_index postgresql_tablespace= is not read literally")], blind


def test_init_from_a_history_then_audit_of_the_migrated_database(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An Alembic history with a data revision whose downgrade() is `pass`: `init -m` writes a
    waiver for its `migrations.no-downgrade.…` finding; `audit --dsn` of the database it built
    called that waiver stale (a FAIL) although a database has no history to judge it on."""
    from cli_runner import run_cli

    versions = tmp_path / "alembic" / "versions"
    versions.mkdir(parents=True)
    (versions / "a1_init.py").write_text(
        '"""init"""\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        'revision = "a1"\ndown_revision = None\n\n\ndef upgrade():\n'
        '    op.create_table("orders", sa.Column("id", sa.Integer(), primary_key=True),\n'
        '                    sa.Column("note", sa.Text()))\n\n\n'
        'def downgrade():\n    op.drop_table("orders")\n'
    )
    (versions / "b2_backfill.py").write_text(
        '"""backfill"""\nfrom alembic import op\n\n'
        'revision = "b2"\ndown_revision = "a1"\n\n\ndef upgrade():\n'
        "    op.execute(\"UPDATE orders SET note = 'x' WHERE note IS NULL\")\n\n\n"
        "def downgrade():\n    pass\n"
    )
    dsn = make_db("rw", "CREATE TABLE orders (id serial PRIMARY KEY, note text)")
    spec = tmp_path / "spec.yaml"
    init = run_cli("init", "-m", str(tmp_path / "alembic"), "-o", str(spec))
    assert init.returncode == 0, init.stderr
    assert "migrations.no-downgrade.b2" in spec.read_text()
    proc = run_cli("audit", "-s", str(spec), "--dsn", dsn, "-f", "json")
    findings = {f["id"]: f for f in json.loads(proc.stdout)["findings"]}
    waiver = next(f for f in findings.values() if "no-downgrade" in (f.get("name") or ""))
    assert waiver["status"] == "DEFERRED", waiver
    assert proc.returncode == 0, [f for f in findings.values() if f["status"] == "FAIL"]


def test_drop_type_cascade_drops_its_columns(make_db) -> None:  # type: ignore[no-untyped-def]
    """`DROP TYPE … CASCADE` drops the columns of that type (and their indexes and checks);
    statically the columns stayed, so an audit PASSed columns the database no longer has.
    `DROP EXTENSION … CASCADE` does the same to citext columns; for an extension whose
    members the model does not know it is listed as not applied (the audit DEFERs)
    instead of read as a plain drop."""
    script = """
        CREATE TYPE "PayoutStatus" AS ENUM ('pending', 'succeeded');
        CREATE TABLE payouts (id uuid PRIMARY KEY, status "PayoutStatus" NOT NULL,
                              history "PayoutStatus"[], amount int,
                              CHECK (status <> 'pending' OR amount > 0));
        CREATE INDEX ix_payouts_status ON payouts (status);
        DROP TYPE "PayoutStatus" CASCADE;
    """
    assert _differences(make_db, script) == []
    assert list(interpret(script).tables["public.payouts"].columns) == ["id", "amount"]
    extension = interpret(
        "CREATE EXTENSION citext; CREATE TABLE o (id int, slug citext); DROP EXTENSION citext CASCADE;"
    )
    assert not extension.unapplied and list(extension.tables["public.o"].columns) == ["id"]
    unknown = interpret(
        "CREATE EXTENSION postgis; CREATE TABLE o (at geometry); DROP EXTENSION postgis CASCADE;"
    )
    assert [u.sql for u in unknown.unapplied] == ["DROP EXTENSION postgis CASCADE"]


def test_replay_starts_each_file_with_the_search_path_given(pg_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Supabase puts pgcrypto in `extensions` and starts sessions with
    `search_path = public, extensions`; basejump's migrations call `gen_random_bytes()`
    unqualified. `--search-path public,extensions` made the static reading right, but the
    replay ignored it and stopped at the first call (every finding DEFERRED, exit 2)."""
    from schema_audit.api import audit
    from schema_audit.spec.load import load_spec

    migrations = tmp_path / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "20240414161700_platform.sql").write_text(
        "CREATE SCHEMA extensions;\n"
        "CREATE FUNCTION extensions.gen_token(n int) RETURNS text LANGUAGE sql\n"
        "AS $$ SELECT repeat('x', n) $$;\n"
    )
    (migrations / "20240414161707_basejump-setup.sql").write_text(
        "CREATE SCHEMA IF NOT EXISTS basejump;\n"
        "CREATE TABLE basejump.invitations (token text DEFAULT gen_token(30) NOT NULL);\n"
        "SELECT gen_token(3);\n"
    )
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: s\ntables:\n  basejump.invitations:\n    columns:\n      token: {}\n")
    result = audit(
        load_spec(spec),
        sql=migrations,
        scratch_dsn=pg_server.admin_dsn,
        replay=True,
        search_path=["public", "extensions"],
        rules="none",
    )
    status = {f.id: f.status for f in result.findings}
    assert status == {
        "tables.basejump.invitations": "PASS",
        "tables.basejump.invitations.columns.token": "PASS",
    }, [f.message for f in result.findings]


def test_supabase_history_referencing_auth_users_it_does_not_create(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Supabase migrations reference `auth.users` (the platform's) with `REFERENCES auth.users`:
    the static reading keeps the foreign key with its referenced columns unknown (a blind spot
    says so), but the audit FAILed it as `ref_columns is [], expected ['id']`, and a waiver of a
    rule finding on auth.users (whose existence is DEFERRED) FAILed as stale. Both are DEFERRED
    now; a property the reading does know (ON DELETE) still FAILs."""
    from schema_audit.api import audit
    from schema_audit.spec.load import load_spec

    migrations = tmp_path / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "20240414161947_basejump-accounts.sql").write_text(
        "CREATE SCHEMA basejump;\n"
        "CREATE TABLE basejump.accounts (\n"
        "    id uuid PRIMARY KEY,\n"
        "    primary_owner_user_id uuid references auth.users not null,\n"
        "    created_by uuid references auth.users on delete cascade\n"
        ");\n"
        "create function basejump.run_new_user_setup() returns trigger language plpgsql\n"
        "as $$ begin return new; end $$;\n"
        "create trigger on_auth_user_created after insert on auth.users\n"
        "    for each row execute procedure basejump.run_new_user_setup();\n"
    )
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: s\n"
        "tables:\n"
        "  auth.users: {}\n"
        "  basejump.accounts:\n"
        "    foreign_keys:\n"
        "    - {name: accounts_primary_owner_user_id_fkey, columns: [primary_owner_user_id],\n"
        "       references: auth.users(id)}\n"
        "    - {name: accounts_created_by_fkey, columns: [created_by], references: auth.users(id),\n"
        "       on_delete: SET NULL}\n"
        "waivers:\n"
        "- requirement: rules.PRIV001.auth.users.email\n"
        "  reason: the platform's table\n"
    )
    result = audit(load_spec(spec), sql=migrations, rules="none")
    status = {f.id: f.status for f in result.findings}
    assert status["tables.auth.users"] == "DEFERRED"
    fks = "tables.basejump.accounts.foreign_keys."
    assert status[fks + "accounts_primary_owner_user_id_fkey"] == "DEFERRED"
    assert status[fks + "accounts_created_by_fkey"] == "FAIL"  # CASCADE, not SET NULL
    assert status["waivers.0"] == "DEFERRED"


def test_jsonb_literals_compare_as_the_value_postgresql_stores(make_db) -> None:  # type: ignore[no-untyped-def]
    """Prisma writes `DEFAULT '{"x":0,"y":0,"w":4,"h":3}'` on a JSONB column; PostgreSQL stores
    the value and prints `'{"h": 3, "w": 4, "x": 0, "y": 0}'::jsonb`. Read statically the literal
    stayed as written, so `diff` reported the default and `init -m` then `audit --dsn` FAILed it
    (a formbricks history: 3 columns). Keys by length then bytes, the last duplicate wins,
    numbers as numeric prints them; a json (not jsonb) default is kept as written, as PostgreSQL
    keeps it."""
    script = r"""
        CREATE TABLE "DashboardWidget" (
            "id" TEXT NOT NULL PRIMARY KEY,
            "layout" JSONB NOT NULL DEFAULT '{"x":0,"y":0,"w":4,"h":3}',
            "recaptcha" JSONB DEFAULT '{"enabled": false, "threshold":0.1}',
            "numbers" JSONB DEFAULT '[1.50, 1e2, -0, 2.5E-1, 10]'::jsonb,
            "nested" JSONB DEFAULT '{"b":{"zz":[],"a":{}},"a":null,"a":"last","ü":"\u00e9\n"}',
            "raw" JSON DEFAULT '{"x":0,  "a":1}',
            CONSTRAINT "layout_has_x" CHECK ("layout" @> '{"x":0}'::jsonb)
        );
    """
    assert _differences(make_db, script) == []


def test_prisma_folder_without_migration_sql_is_named_not_skipped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A Prisma-layout history whose project runs its own TypeScript data migrations
    (`<timestamp>_<name>/migration.ts`, formbricks: 25 of 192 folders): those folders were
    skipped without a word. Each is now a `migrations.not-read.<folder>` finding naming the
    files not read; the folders with a migration.sql are read as before."""
    from schema_audit.api import audit
    from schema_audit.spec.load import load_spec

    root = tmp_path / "migration"
    (root / "20230329205933_init").mkdir(parents=True)
    (root / "20230329205933_init" / "migration.sql").write_text(
        'CREATE TABLE "Survey" ("id" TEXT NOT NULL, CONSTRAINT "Survey_pkey" PRIMARY KEY ("id"));\n'
    )
    (root / "20241209104738_xm_user_identification").mkdir()
    (root / "20241209104738_xm_user_identification" / "migration.ts").write_text(
        "export const xmUserIdentification = { name: 'xm_user_identification' };\n"
    )
    (root / "migration_lock.toml").write_text('provider = "postgresql"\n')
    spec = tmp_path / "spec.yaml"
    spec.write_text('name: s\ntables:\n  "Survey": {}\n')
    result = audit(load_spec(spec), sql=root, rules="none")
    found = {f.id: f for f in result.findings}
    assert found["tables.Survey"].status == "PASS"
    gap = found["migrations.not-read.20241209104738_xm_user_identification"]
    assert gap.status == "FAIL" and "not read: migration.ts" in gap.message


def test_strict_privileges_count_each_privilege_not_only_the_role(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`init` promises that a new grant FAILs (strict `exactly: [privileges]`), but strict
    compared only grantee names: `GRANT DELETE, TRUNCATE ON basejump.config TO authenticated`
    on a role that already held SELECT PASSed both live and static (basejump). Each privilege
    counts now; `allow: [role]` and a role named only under `deny:` account for all of its."""
    from schema_audit.api import audit_model
    from schema_audit.spec.load import load_spec

    role = "DO $$ BEGIN CREATE ROLE authenticated; EXCEPTION WHEN duplicate_object THEN END $$;"
    script = """
        CREATE SCHEMA basejump;
        CREATE TABLE basejump.config (enable_team_accounts boolean DEFAULT true);
        GRANT SELECT ON basejump.config TO authenticated;
        GRANT DELETE, TRUNCATE ON basejump.config TO authenticated;
    """
    dsn = make_db("rw", role + script)

    def verdict(privileges: str, allow: str = "") -> str:
        spec = tmp_path / "spec.yaml"
        spec.write_text(
            "name: s\ntables:\n  basejump.config:\n"
            f"    exactly: [privileges]\n{allow}    privileges:\n{privileges}"
        )
        loaded = load_spec(spec)
        got = set()
        for model, kind in ((live.introspect(dsn), "live"), (interpret(script), "sql")):
            result = audit_model(loaded, model, kind, rules="none")
            got |= {f.status for f in result.findings if f.id.endswith("exactly.privileges")}
        assert len(got) == 1, got  # live and static agree
        return got.pop()

    assert verdict("    - {roles: [authenticated], grant: [SELECT]}\n") == "FAIL"
    assert verdict("    - {roles: [authenticated], grant: [SELECT, DELETE, TRUNCATE]}\n") == "PASS"
    assert verdict("    - {roles: [authenticated], grant: [ALL]}\n") == "PASS"
    assert verdict("    - {roles: [authenticated], deny: [UPDATE]}\n") == "PASS"
    allow = "    allow: [authenticated]\n"
    assert verdict("    - {roles: [authenticated], grant: [SELECT]}\n", allow) == "PASS"


PAGILA_STYLE = """
CREATE TABLE public.actor (
    actor_id integer NOT NULL,
    first_name text NOT NULL,
    last_name text NOT NULL
);
ALTER TABLE ONLY public.actor ADD CONSTRAINT actor_pkey PRIMARY KEY (actor_id);
CREATE INDEX idx_actor_last_name ON public.actor USING btree (last_name);
CREATE INDEX idx_actor_first_name ON public.actor USING btree (first_name text_pattern_ops);
"""


def test_init_spec_holds_an_index_to_its_operator_class(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """pagila's dump, migrated, init --dsn, then `idx_actor_last_name` rebuilt with
    `text_pattern_ops`: audit --dsn PASSed (the requirement `columns: [last_name]` names no
    operator class and strict `exactly: [indexes]` did not hold the index to it), though the
    index now serves LIKE 'x%' and no longer ORDER BY/< under a non-C collation. The static
    reading of the same history agrees."""
    from cli_runner import run_cli

    def cli(*args: str):  # type: ignore[no-untyped-def]
        return run_cli(*args, env={"SCHEMA_AUDIT_CACHE": "0"})

    dsn = make_db("rw", PAGILA_STYLE)
    spec = tmp_path / "spec.yaml"
    assert cli("init", "--dsn", dsn, "-o", str(spec)).returncode == 0
    assert cli("audit", "-s", str(spec), "--dsn", dsn).returncode == 0
    change = (
        "DROP INDEX idx_actor_last_name;"
        " CREATE INDEX idx_actor_last_name ON public.actor (last_name text_pattern_ops);"
    )
    changed = make_db("rw", PAGILA_STYLE + change)
    proc = cli("audit", "-s", str(spec), "--dsn", changed, "-f", "json")
    failing = {
        f["id"]: f["message"] for f in json.loads(proc.stdout)["findings"] if f["status"] == "FAIL"
    }
    assert proc.returncode == 1
    assert (
        "idx_actor_last_name (last_name text_pattern_ops)"
        in failing["tables.actor.exactly.indexes"]
    )
    history = tmp_path / "history"
    history.mkdir()
    (history / "0001_schema.sql").write_text(PAGILA_STYLE + change + "\n")
    assert cli("audit", "-s", str(spec), "--sql", str(history)).returncode == 1
    # the index the spec names with its operator class stays a PASS
    (history / "0001_schema.sql").write_text(PAGILA_STYLE)
    assert cli("audit", "-s", str(spec), "--sql", str(history)).returncode == 0


GOOSE_INIT = """-- +goose Up
-- CreateEnum
CREATE TYPE "TenantMemberRole" AS ENUM ('OWNER', 'ADMIN', 'MEMBER');

-- CreateTable
CREATE TABLE "Tenant" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    CONSTRAINT "Tenant_pkey" PRIMARY KEY ("id")
);

-- +goose Down
DROP TABLE "Tenant";
DROP TYPE "TenantMemberRole";
"""

GOOSE_UI = """-- +goose Up
-- +goose StatementBegin
CREATE TYPE "TenantMajorUIVersion" AS ENUM (
    'V0',
    'V1'
);

ALTER TABLE "Tenant"
ADD COLUMN "uiVersion" "TenantMajorUIVersion" NOT NULL DEFAULT 'V0'
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
ALTER TABLE "Tenant"
DROP COLUMN "uiVersion";

DROP TYPE "TenantMajorUIVersion"
-- +goose StatementEnd
"""

GOOSE_ALERTS = """-- +goose Up
CREATE TABLE "TenantResourceLimitAlert" ("id" UUID NOT NULL PRIMARY KEY);
TRUNCATE TABLE "TenantResourceLimitAlert";
ALTER TABLE "TenantResourceLimitAlert" ADD COLUMN "tenantId" UUID NOT NULL;

-- +goose Down
ALTER TABLE "TenantResourceLimitAlert" DROP COLUMN "tenantId";
"""


def test_goose_history_applies_only_the_up_sections(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """hatchet's goose history (224 files, 136 with a `-- +goose Down` section) was read as a
    plain timestamped folder: every Down section was applied after its Up (tables dropped
    again, columns removed; `init --sql` wrote a spec without them), and a statement closed by
    `-- +goose StatementEnd` without a semicolon was a syntax error. The model now equals the
    catalog of a database goose migrated; a Go migration beside them is named, never skipped
    silently; TRUNCATE is a data statement (it deferred every later finding)."""
    from schema_audit.sources.sqlfile import read_sql

    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "20240115180414_init.sql").write_text(GOOSE_INIT)
    (folder / "20250519145912_v1_0_21.sql").write_text(GOOSE_UI)
    (folder / "20260129222535_v1_0_73.sql").write_text(GOOSE_ALERTS)
    (folder / "20251226153622_v1_0_66.go").write_text("package migrations\n")
    # what goose runs: each Up section, the StatementBegin/End block as one statement
    applied = (
        GOOSE_INIT.split("-- +goose Down")[0]
        + (
            "CREATE TYPE \"TenantMajorUIVersion\" AS ENUM ('V0', 'V1');\n"
            'ALTER TABLE "Tenant" ADD COLUMN "uiVersion" "TenantMajorUIVersion" NOT NULL DEFAULT \'V0\';\n'
        )
        + GOOSE_ALERTS.split("-- +goose Down")[0]
    )
    dsn = make_db("rw", applied)
    model, layout = read_sql(folder)
    assert layout.name == "goose"
    assert [d for d in diff_models(live.introspect(dsn), model)] == []
    assert [u.reason for u in model.statements_unapplied() if u.kind != "data"] == []
    assert [(i.code, i.revision) for i in layout.issues] == [("not-read", "20251226153622")]


DRIZZLE_JOURNAL = """{
  "version": "5",
  "dialect": "pg",
  "entries": [
    {"idx": 0, "version": "5", "when": 1713262741218, "tag": "0000_reflective_puck", "breakpoints": true},
    {"idx": 1, "version": "5", "when": 1713761637676, "tag": "0001_perpetual_screwball", "breakpoints": true},
    {"idx": 2, "version": "5", "when": 1713761637999, "tag": "0002_amused_synch", "breakpoints": true}
  ]
}
"""


def test_drizzle_journal_decides_what_is_applied(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Dokploy's drizzle folder holds `0130_abandoned_dagger.sql`, which its
    `meta/_journal.json` does not list (drizzle never applies it), beside
    `0130_perpetual_screwball.sql`; a later journaled migration adds the same column. Read as
    a numbered folder, both 0130 files were applied: a false FAIL `duplicate-version`, and
    the later `ADD COLUMN` failed statically ("already exists"). The journal decides now; the
    stray file is named (info), not read."""
    from schema_audit.sources.sqlfile import read_sql

    folder = tmp_path / "drizzle"
    (folder / "meta").mkdir(parents=True)
    (folder / "meta" / "_journal.json").write_text(DRIZZLE_JOURNAL)
    first = (
        'CREATE TABLE IF NOT EXISTS "domain" (\n\t"domainId" text PRIMARY KEY NOT NULL,\n'
        '\t"host" text NOT NULL\n);\n'
    )
    (folder / "0000_reflective_puck.sql").write_text(first)
    (folder / "0001_abandoned_dagger.sql").write_text(
        'ALTER TABLE "domain" ADD COLUMN "customEntrypoint" text;'
    )
    (folder / "0001_perpetual_screwball.sql").write_text(
        'ALTER TABLE "domain" ADD COLUMN "stripPath" boolean DEFAULT false NOT NULL;'
    )
    (folder / "0002_amused_synch.sql").write_text(
        'ALTER TABLE "domain" ADD COLUMN "customEntrypoint" text;--> statement-breakpoint\n'
        'CREATE INDEX IF NOT EXISTS "domain_host_idx" ON "domain" USING btree ("host");'
    )
    applied = "".join(
        (folder / f"{tag}.sql").read_text() + "\n"
        for tag in ("0000_reflective_puck", "0001_perpetual_screwball", "0002_amused_synch")
    )
    dsn = make_db("rw", applied)
    model, layout = read_sql(folder)
    assert layout.name == "drizzle"
    assert diff_models(live.introspect(dsn), model) == []
    assert [u.reason for u in model.unapplied] == []
    assert [(i.code, i.severity, i.revision) for i in layout.issues] == [
        ("not-in-journal", "info", "0001_abandoned_dagger")
    ]
    from schema_audit.sources.alembic import MigrationSourceError

    (folder / "meta" / "_journal.json").write_text('{"dialect": "pg", "entries": [{"idx": 0}]}')
    with pytest.raises(MigrationSourceError, match=r"_journal.json: not a drizzle journal"):
        read_sql(folder)
    (folder / "meta" / "_journal.json").write_text('{"dialect": "mysql", "entries": []}')
    with pytest.raises(MigrationSourceError, match="dialect mysql"):
        read_sql(folder)


def test_init_from_a_history_accepts_its_runners_bookkeeping_table(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`init --sql` of harbor's golang-migrate folder (and hatchet's goose folder), then
    `audit --dsn` of the database that runner migrated: strict FAILed `tables the spec does
    not require: public.schema_migrations` (`goose_db_version`), a table no history creates
    and every migrated database has. Strict accepts the runner's own table now, as it
    accepted `alembic_version`; a table of that name the history creates stays required."""
    from cli_runner import run_cli

    def cli(*args: str):  # type: ignore[no-untyped-def]
        return run_cli(*args, env={"SCHEMA_AUDIT_CACHE": "0"})

    cases = {
        "golang-migrate": (
            {
                "0001_initial_schema.up.sql": "CREATE TABLE harbor_user (user_id SERIAL PRIMARY KEY);",
                "0001_initial_schema.down.sql": "DROP TABLE harbor_user;",
            },
            "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);",
        ),
        "goose": (
            {"20240115180414_init.sql": GOOSE_INIT},
            "CREATE TABLE goose_db_version (id serial PRIMARY KEY, version_id bigint NOT NULL,"
            " is_applied boolean NOT NULL, tstamp timestamp DEFAULT now());",
        ),
    }
    for layout, (files, runner_table) in cases.items():
        folder = tmp_path / layout
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text)
        applied = "\n".join(
            text.split("-- +goose Down")[0] for name, text in files.items() if ".down." not in name
        )
        dsn = make_db("rw", applied + "\n" + runner_table)
        spec = tmp_path / f"{layout}.yaml"
        init = cli("init", "--sql", str(folder), "-o", str(spec))
        assert f"read as {layout} layout" in init.stdout
        proc = cli("audit", "-s", str(spec), "--dsn", dsn, "-f", "json")
        failing = [f["id"] for f in json.loads(proc.stdout)["findings"] if f["status"] == "FAIL"]
        assert (proc.returncode, failing) == (0, []), layout
        # another table the history does not create still FAILs
        other = make_db("rw", applied + "\n" + runner_table + "\nCREATE TABLE stray (a int);")
        proc = cli("audit", "-s", str(spec), "--dsn", other, "-f", "json")
        failing = [f["id"] for f in json.loads(proc.stdout)["findings"] if f["status"] == "FAIL"]
        assert "strict.tables" in failing, layout


PAGILA_FILM = """
SELECT pg_catalog.set_config('search_path', '', false);
CREATE TABLE public.film (
    film_id integer NOT NULL,
    title text NOT NULL,
    description text,
    fulltext tsvector NOT NULL
);
CREATE TRIGGER film_fulltext_trigger BEFORE INSERT OR UPDATE ON public.film FOR EACH ROW
    EXECUTE FUNCTION tsvector_update_trigger('fulltext', 'pg_catalog.english', 'title', 'description');
"""


def test_trigger_function_resolved_and_held_to_its_schema(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """pagila's dump calls `tsvector_update_trigger(…)` unqualified (pg_catalog is searched
    first): the static reading kept the bare name, a difference from the catalog's
    `pg_catalog.tsvector_update_trigger`. And the trigger requirement compared bare names
    only: the same trigger re-pointed to a `public.tsvector_update_trigger` PASSed init's
    `function: pg_catalog.tsvector_update_trigger`."""
    from cli_runner import run_cli

    dsn = make_db("rw", PAGILA_FILM)
    assert _differences(make_db, PAGILA_FILM) == []
    spec = tmp_path / "spec.yaml"
    env = {"SCHEMA_AUDIT_CACHE": "0"}
    assert run_cli("init", "--dsn", dsn, "-o", str(spec), env=env).returncode == 0
    assert "function: pg_catalog.tsvector_update_trigger" in spec.read_text()
    repointed = (
        PAGILA_FILM
        + """
        CREATE FUNCTION public.tsvector_update_trigger() RETURNS trigger LANGUAGE plpgsql
            AS $$ BEGIN RETURN NEW; END $$;
        DROP TRIGGER film_fulltext_trigger ON public.film;
        CREATE TRIGGER film_fulltext_trigger BEFORE INSERT OR UPDATE ON public.film
            FOR EACH ROW EXECUTE FUNCTION public.tsvector_update_trigger();
    """
    )
    proc = run_cli(
        "audit", "-s", str(spec), "--dsn", make_db("rw", repointed), "-f", "json", env=env
    )
    failing = [f["id"] for f in json.loads(proc.stdout)["findings"] if f["status"] == "FAIL"]
    assert "tables.film.triggers.film_fulltext_trigger" in failing
    # a person's bare name still matches the function of that name in any schema
    spec.write_text(
        "name: s\ntables:\n  film:\n    triggers:\n"
        "    - {name: film_fulltext_trigger, function: tsvector_update_trigger}\n"
    )
    audit = ("audit", "-s", str(spec), "--rules", "none", "--dsn")
    assert run_cli(*audit, dsn, env=env).returncode == 0


def test_integer_operands_promoted_to_numeric_as_postgresql_stores_them(make_db) -> None:  # type: ignore[no-untyped-def]
    """pagila's `length_hours numeric(4,2) GENERATED ALWAYS AS (round(length / 60.0, 2))` over
    a smallint `length`: the catalog stores `round(((length)::numeric / 60.0), 2)` (no operator
    takes an integer and a numeric), the static reading kept the text as written, a false
    difference and a false FAIL against init --dsn's spec. The same promotion in CHECKs,
    nested and on both sides (index keys and predicates are read from JSON by
    sources/ddl/fast.py since 64a828d, without it: left to its owner); what PostgreSQL does not cast (an
    integer literal, a float column, integer-only arithmetic) stays as written."""
    script = """
        CREATE TABLE public.film (
            film_id integer NOT NULL PRIMARY KEY,
            length smallint,
            rental_rate numeric(4,2) DEFAULT 4.99 NOT NULL,
            rental_duration smallint DEFAULT 3 NOT NULL,
            replacement_cost double precision,
            length_hours numeric(4,2) GENERATED ALWAYS AS (round(length / 60.0, 2)) STORED,
            per_day numeric GENERATED ALWAYS AS (rental_rate / rental_duration) STORED,
            CONSTRAINT film_rate CHECK (rental_rate * rental_duration + 0.5 > 1),
            CHECK ((length + rental_duration) / 2.0 < 500.5),
            CHECK (-length < 0.5),
            CHECK (replacement_cost > 0.5),
            CHECK (length * 2 > 0)
        );
        ALTER TABLE public.film ADD CONSTRAINT film_late CHECK (0.5 < film_id);
    """
    assert _differences(make_db, script) == []


DIESEL_SETUP = """-- This file was automatically created by Diesel to setup helper functions
CREATE OR REPLACE FUNCTION diesel_set_updated_at ()
    RETURNS TRIGGER
    AS $$
BEGIN
    IF (NEW IS DISTINCT FROM OLD AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at) THEN
        NEW.updated_at := CURRENT_TIMESTAMP;
    END IF;
    RETURN NEW;
END;
$$
LANGUAGE plpgsql;
"""

DIESEL_USER = """CREATE TABLE user_ (
    id serial PRIMARY KEY,
    name varchar(20) NOT NULL,
    email text UNIQUE,
    published timestamp NOT NULL DEFAULT now()
);
"""

DIESEL_BAN = """CREATE TABLE user_ban (
    id serial PRIMARY KEY,
    user_id int REFERENCES user_ ON UPDATE CASCADE ON DELETE CASCADE NOT NULL,
    UNIQUE (user_id)
);
"""


def test_diesel_migration_folders_are_read(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Lemmy's diesel history (`migrations/<version>_<name>/up.sql`, 342 of them) was "no
    migration this tool can read" (exit 2). Each up.sql is applied in diesel's order (the
    version without dashes: `00000000000000_diesel_initial_setup` first), down.sql never,
    and init's strict block accepts diesel's `__diesel_schema_migrations`."""
    from cli_runner import run_cli

    from schema_audit.sources.sqlfile import read_sql

    root = tmp_path / "lemmy"
    steps = {
        "2019-02-27-170003_create_ban": DIESEL_BAN,
        "00000000000000_diesel_initial_setup": DIESEL_SETUP,
        "2019-02-26-002946_create_user": DIESEL_USER,
    }
    for name, up in steps.items():
        (root / "migrations" / name).mkdir(parents=True)
        (root / "migrations" / name / "up.sql").write_text(up)
        (root / "migrations" / name / "down.sql").write_text("DROP TABLE IF EXISTS user_ CASCADE;")
    runner = (
        "CREATE TABLE __diesel_schema_migrations (version varchar(50) PRIMARY KEY,"
        " run_on timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP);"
    )
    dsn = make_db("rw", DIESEL_SETUP + DIESEL_USER + DIESEL_BAN + runner)
    model, layout = read_sql(root)
    assert (layout.name, [f.parent.name for f in layout.files]) == ("diesel", sorted(steps))
    assert [str(d) for d in diff_models(live.introspect(dsn), model)] == [
        "table public.__diesel_schema_migrations: exists: present vs (absent)"
    ]
    spec = tmp_path / "spec.yaml"
    env = {"SCHEMA_AUDIT_CACHE": "0"}
    assert run_cli("init", "--sql", str(root), "-o", str(spec), env=env).returncode == 0
    assert run_cli("audit", "-s", str(spec), "--dsn", dsn, env=env).returncode == 0


def test_a_django_migrations_folder_is_named_in_the_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Django migrations are Python the tool does not read: the error says so and what to do."""
    from schema_audit.sources.alembic import MigrationSourceError
    from schema_audit.sources.sqlfile import read_sql

    folder = tmp_path / "shop" / "migrations"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "0001_initial.py").write_text(
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n    initial = True\n    operations = []\n"
    )
    for path in (folder, folder.parent):
        with pytest.raises(MigrationSourceError, match="it holds Django migrations"):
            read_sql(path)


def test_sequence_rename_follows_into_the_defaults(make_db) -> None:  # type: ignore[no-untyped-def]
    """Lemmy renames `user_` to `person` and then each serial's sequence
    (`ALTER SEQUENCE user__id_seq RENAME TO person_id_seq`): "not interpreted" statically,
    with an effect on everything, so every later finding of the history was DEFERRED. The
    sequence and the nextval() defaults naming it are renamed as the catalog shows them."""
    script = """
        CREATE TABLE user_ (id serial PRIMARY KEY, name varchar(20) NOT NULL);
        CREATE SEQUENCE public.user_aggregates_id_seq;
        CREATE TABLE user_aggregates (
            id int NOT NULL DEFAULT nextval('user_aggregates_id_seq'::regclass) PRIMARY KEY,
            other int DEFAULT nextval('public.user_aggregates_id_seq')
        );
        ALTER TABLE user_ RENAME TO person;
        ALTER SEQUENCE user__id_seq RENAME TO person_id_seq;
        ALTER SEQUENCE public.user_aggregates_id_seq RENAME TO person_aggregates_id_seq;
        ALTER SEQUENCE IF EXISTS no_such_seq RENAME TO still_none;
    """
    assert _differences(make_db, script) == []
    static = interpret(script)
    assert sorted(static.sequences) == ["public.person_aggregates_id_seq", "public.person_id_seq"]
    assert [u.reason for u in static.unapplied] == []


LEMMY_AGGREGATES = """
CREATE TABLE post (id serial PRIMARY KEY, community_id int NOT NULL);
CREATE TABLE post_aggregates (post_id int PRIMARY KEY REFERENCES post ON DELETE CASCADE, comments bigint);
CREATE FUNCTION post_aggregates_post ()
    RETURNS TRIGGER
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF (TG_OP = 'INSERT') THEN
        INSERT INTO post_aggregates (post_id, comments) VALUES (NEW.id, 0);
    END IF;
    RETURN NULL;
END
$$;
CREATE FUNCTION was_removed_or_deleted () RETURNS boolean LANGUAGE sql AS $$ SELECT false $$;
CREATE TRIGGER post_aggregates_post
    AFTER INSERT OR DELETE ON post
    FOR EACH ROW
    EXECUTE PROCEDURE post_aggregates_post ();
-- 2024-02-24-034523_replaceable-schema: the triggers move to schema r
DROP FUNCTION post_aggregates_post, was_removed_or_deleted CASCADE;
"""


def test_drop_function_cascade_drops_the_triggers_calling_it(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Lemmy's `DROP FUNCTION comment_aggregates_comment, …, post_aggregates_post, … CASCADE`:
    PostgreSQL drops the triggers calling those functions; the static reading kept them
    without a word, so a static audit PASSed a trigger requirement the database no longer
    meets (false PASS) and `init --sql` required 30 triggers Lemmy's database does not have."""
    from schema_audit.api import audit_model
    from schema_audit.spec.load import load_spec

    assert _differences(make_db, LEMMY_AGGREGATES) == []
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: s\ntables:\n  post:\n    triggers:\n"
        "    - {name: post_aggregates_post, function: post_aggregates_post}\n"
    )
    result = audit_model(load_spec(spec), interpret(LEMMY_AGGREGATES), "sql", rules="none")
    statuses = {f.id: f.status for f in result.findings}
    assert statuses["tables.post.triggers.post_aggregates_post"] == "FAIL"
    # without CASCADE PostgreSQL refuses while a trigger calls it: the statement is not applied
    refused = interpret(LEMMY_AGGREGATES.replace(", was_removed_or_deleted CASCADE", ""))
    assert "post_aggregates_post" in refused.tables["public.post"].triggers
    assert [u.kind for u in refused.unapplied] == ["error"]


def test_supabase_realtime_publication_defers_nothing(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Supabase starters end their first migration with `drop publication if exists
    supabase_realtime; create publication supabase_realtime for table products, prices;`.
    The static reader does not model publications (the statement is listed as not
    interpreted), but its keyword `TABLE` made it "may change anything": a static audit with
    `init --dsn`'s spec DEFERRED 177 of 180 findings (and `init --sql` wrote no waivers). A
    publication changes no table, column, index, policy or grant: nothing is deferred now, and
    the statement is still named as not read."""
    from cli_runner import run_cli

    migrations = tmp_path / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    history = (
        "create table products (id text primary key, active boolean, name text);\n"
        "alter table products enable row level security;\n"
        'create policy "Allow public read-only access." on products for select using (true);\n'
        "create table prices (id text primary key, product_id text references products,\n"
        "  currency text check (char_length(currency) = 3));\n"
        "drop publication if exists supabase_realtime;\n"
        "create publication supabase_realtime for table products;\n"
        "alter publication supabase_realtime add table only prices;\n"
    )
    (migrations / "20230530034630_init.sql").write_text(history)
    dsn = make_db("rw", history)
    env = {"SCHEMA_AUDIT_CACHE": "0"}
    spec = tmp_path / "spec.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", str(spec), env=env).returncode == 0
    proc = run_cli("audit", "-s", str(spec), "--sql", str(migrations), "-f", "json", env=env)
    report = json.loads(proc.stdout)
    deferred = [f["id"] for f in report["findings"] if f["status"] == "DEFERRED"]
    owners = [i for i in deferred if i.startswith("tables.") and i.count(".") == 1]
    # a table's owner cannot be read from a history without OWNER TO: honest, and the only deferral
    assert sorted(set(deferred) - set(owners) - {"schemas.public"}) == []
    assert report["summary"]["FAIL"] == 0
    assert [u["sql"].split()[0:2] for u in report["unapplied_statements"]] == [
        ["create", "publication"],
        ["alter", "publication"],
    ]
    # a live read names the publication it does not model (a table dropped from it after
    # init, which stops Supabase Realtime for that table, passed in silence)
    proc = run_cli("audit", "-s", str(spec), "--dsn", dsn, "-f", "json", env=env)
    spots = json.loads(proc.stdout)["blind_spots"]
    assert [s.split(" is not modelled")[0] for s in spots] == ["publication supabase_realtime"]


PHILOMENA_STYLE = """
SELECT pg_catalog.set_config('search_path', '', false);
CREATE TABLE public.adverts (
    id integer NOT NULL,
    restrictions character varying,
    title character varying COLLATE pg_catalog."C",
    CONSTRAINT adverts_pkey PRIMARY KEY (id)
);
CREATE INDEX index_adverts_on_restrictions ON public.adverts USING btree (restrictions);
CREATE INDEX index_adverts_on_title ON public.adverts USING btree (title);
CREATE INDEX index_adverts_on_lower_title ON public.adverts USING btree (lower((title)::text));
CREATE INDEX index_adverts_on_lower_restrictions ON public.adverts USING btree (lower((restrictions)::text) COLLATE "C");
CREATE INDEX index_adverts_on_restrictions_c ON public.adverts USING btree (restrictions COLLATE "C" DESC);
"""


def test_init_spec_holds_an_index_to_its_key_collation(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """philomena's structure.sql, migrated, init --dsn, then `index_adverts_on_restrictions`
    rebuilt with `(restrictions COLLATE "C")`: audit --dsn PASSed (`columns: [restrictions]`
    names no collation and strict `exactly: [indexes]` did not hold a key to it), though the
    index no longer serves ORDER BY / < of the column's own collation. `init` now writes a
    key's collation where it is not its column's, and strict FAILs one it does not state;
    the static reading of the same history agrees. An expression's own collation
    (`lower((title)::text)` of a `COLLATE "C"` column, stored as no COLLATE) is no key option:
    the live reading had it as one (a `diff` difference with the history)."""
    from cli_runner import run_cli

    def cli(*args: str):  # type: ignore[no-untyped-def]
        return run_cli(*args, env={"SCHEMA_AUDIT_CACHE": "0"})

    dsn = make_db("rw", PHILOMENA_STYLE)
    explicit = PHILOMENA_STYLE.replace(
        "(lower((title)::text));", '(lower((title)::text) COLLATE "C");'
    )
    for history_text in (PHILOMENA_STYLE, explicit):
        assert _differences(make_db, history_text) == []
    spec = tmp_path / "spec.yaml"
    assert cli("init", "--dsn", dsn, "-o", str(spec)).returncode == 0
    assert cli("audit", "-s", str(spec), "--dsn", dsn).returncode == 0
    history = tmp_path / "history"
    history.mkdir()
    (history / "structure.sql").write_text(PHILOMENA_STYLE)
    assert cli("audit", "-s", str(spec), "--sql", str(history)).returncode == 0
    changes = {
        "index_adverts_on_restrictions": '(restrictions COLLATE "C")',
        "index_adverts_on_restrictions_c": "(restrictions DESC)",
        "index_adverts_on_lower_restrictions": "(lower((restrictions)::text))",
    }
    for name, keys in changes.items():
        change = f"DROP INDEX public.{name}; CREATE INDEX {name} ON public.adverts {keys};"
        changed = make_db("rw", PHILOMENA_STYLE + change)
        proc = cli("audit", "-s", str(spec), "--dsn", changed, "-f", "json")
        failing = [f["id"] for f in json.loads(proc.stdout)["findings"] if f["status"] == "FAIL"]
        assert proc.returncode == 1 and failing, name
        (history / "structure.sql").write_text(PHILOMENA_STYLE + change + "\n")
        proc = cli("audit", "-s", str(spec), "--sql", str(history), "-f", "json")
        assert [f["id"] for f in json.loads(proc.stdout)["findings"] if f["status"] == "FAIL"] == (
            failing
        ), name


def test_enum_created_by_an_unapplied_do_block_is_deferred(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """supabase/storage creates `storage.BucketType` inside a DO block whose DECLARE reads
    `current_setting('storage.multitenant', true)` (not interpreted: the block is not applied
    statically, and named so). The enum requirement of `init --dsn`'s spec FAILed "does not
    exist ... not created anywhere" (enum requirements declared no facet, so no unapplied
    statement could defer them): DEFERRED now. An enum no unapplied statement touches is
    still judged."""
    from schema_audit.api import audit
    from schema_audit.spec.load import load_spec

    migrations = tmp_path / "tenant"
    migrations.mkdir()
    (migrations / "0001-initialmigration.sql").write_text(
        "CREATE SCHEMA IF NOT EXISTS storage;\n"
        "CREATE TYPE storage.object_state AS ENUM ('active', 'deleted');\n"
        "CREATE TABLE storage.buckets (id text NOT NULL PRIMARY KEY, name text NOT NULL);\n"
    )
    (migrations / "0038-iceberg-catalog-flag-on-buckets.sql").write_text(
        "DO $$\n"
        "    DECLARE\n"
        "        is_multitenant bool = COALESCE(current_setting('storage.multitenant', true),"
        " 'false')::boolean;\n"
        "    BEGIN\n"
        "        IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'buckettype') THEN\n"
        "            create type storage.BucketType as enum ('STANDARD', 'ANALYTICS');\n"
        "        END IF;\n"
        "        IF is_multitenant THEN\n"
        "            RETURN;\n"
        "        END IF;\n"
        "    END$$;\n"
    )
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: s\n"
        "enums:\n"
        "  storage.buckettype: {values: [STANDARD, ANALYTICS]}\n"
        "  storage.object_state: {values: [active, deleted, purged]}\n"
    )
    result = audit(load_spec(spec), sql=migrations, rules="none")
    status = {f.id: f.status for f in result.findings}
    assert status["enums.storage.buckettype"] == "DEFERRED"
    assert status["enums.storage.object_state"] == "FAIL"  # no unapplied statement touches it
    assert [u.file for u in result.model.unapplied] == [
        "tenant/0038-iceberg-catalog-flag-on-buckets.sql"
    ]


def test_top_level_collate_of_an_index_expression_is_the_keys_collation(make_db) -> None:  # type: ignore[no-untyped-def]
    """supabase/storage: `CREATE INDEX … (bucket_id, (key COLLATE "C"), created_at ASC)` on a
    `key text COLLATE "C"` column. PostgreSQL strips a top-level COLLATE into the key's
    collation and keeps a plain column key (`(bucket_id, key, created_at)`); the static
    reading kept an expression `key COLLATE "C"`, a `diff` difference and, once `init --sql`
    wrote it, a false FAIL of the migrated database."""
    script = """
        CREATE SCHEMA storage;
        CREATE TABLE storage.s3_multipart_uploads (
            id text PRIMARY KEY,
            bucket_id text NOT NULL,
            key text COLLATE "C" NOT NULL,
            name text,
            created_at timestamptz NOT NULL default now()
        );
        CREATE INDEX IF NOT EXISTS idx_multipart_uploads_list
            ON storage.s3_multipart_uploads (bucket_id, (key COLLATE "C"), created_at ASC);
        CREATE INDEX idx_name_c ON storage.s3_multipart_uploads ((name COLLATE "C") DESC);
        CREATE INDEX idx_lower_name_c ON storage.s3_multipart_uploads ((lower(name) COLLATE "C"));
        CREATE INDEX ON storage.s3_multipart_uploads ((name COLLATE "POSIX"));
    """
    assert _differences(make_db, script) == []
    static = interpret(script)
    keys = static.tables["storage.s3_multipart_uploads"].indexes["idx_multipart_uploads_list"].keys
    assert [(k.expression, k.is_column, k.collation) for k in keys] == [
        ("bucket_id", True, None),
        ("key", True, None),
        ("created_at", True, None),
    ]


RALLLY_USERS = """
-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");
CREATE TABLE "polls" (
    "id" TEXT NOT NULL,
    "user_id" TEXT,
    CONSTRAINT "polls_pkey" PRIMARY KEY ("id")
);
CREATE TABLE "invites" ("id" TEXT NOT NULL PRIMARY KEY, "email" TEXT REFERENCES "users"("email"));
-- AddForeignKey
ALTER TABLE "polls" ADD CONSTRAINT "polls_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
"""


def test_dropping_a_referenced_key_cascades_to_the_foreign_keys(make_db) -> None:  # type: ignore[no-untyped-def]
    """rallly (Prisma), after init: `ALTER TABLE users DROP CONSTRAINT users_pkey CASCADE`
    made PostgreSQL drop the 18 foreign keys referencing users(id); the static reading kept
    them (a static audit PASSed 18 foreign-key requirements the database no longer has). A
    unique index dropped CASCADE takes its foreign keys too; without CASCADE PostgreSQL
    refuses the statement, and so does the static reading now (listed as not applied)."""
    change = 'ALTER TABLE "users" DROP CONSTRAINT "users_pkey" CASCADE;\nDROP INDEX "users_email_key" CASCADE;\n'
    assert _differences(make_db, RALLLY_USERS + change) == []
    static = interpret(RALLLY_USERS + change)
    assert static.tables["public.polls"].foreign_keys == {}
    assert static.tables["public.invites"].foreign_keys == {}
    refused = interpret(RALLLY_USERS + 'ALTER TABLE "users" DROP CONSTRAINT "users_pkey";\n')
    assert "polls_user_id_fkey" in static_fk_names(refused)
    assert [u.sql.split()[:3] for u in refused.unapplied] == [["ALTER", "TABLE", '"users"']]
    # with another unique key on the same columns, which one a foreign key depends on is the
    # one PostgreSQL found first when the key was made: not decided statically, so not applied
    spare = RALLLY_USERS + 'CREATE UNIQUE INDEX "users_id_key" ON "users"("id");\n'
    undecided = interpret(spare + change.split("\n")[0] + "\n")
    assert "polls_user_id_fkey" in static_fk_names(undecided)
    assert len(undecided.unapplied) == 1


def static_fk_names(model) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(n for t in model.tables.values() for n in t.foreign_keys)


CRATES_USERS = """CREATE TABLE users (
    id SERIAL PRIMARY KEY,
    gh_login VARCHAR NOT NULL,
    gh_id INTEGER NOT NULL
);
"""

CRATES_LOCK = """ALTER TABLE users
    ADD COLUMN account_lock_reason VARCHAR DEFAULT NULL,
    ADD COLUMN account_lock_until TIMESTAMP DEFAULT NULL;
"""

CRATES_OAUTH = """CREATE TABLE oauth_github (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    account_id BIGINT PRIMARY KEY,
    login VARCHAR NOT NULL,
    avatar VARCHAR DEFAULT NULL
);
"""


def _crates_history(root) -> None:  # type: ignore[no-untyped-def]
    """crates.io's diesel folder: version folders (one with spaces in its name, old ones
    without dashes), a README and a data script kept loose beside them."""
    steps = {
        "20140924113530_dumped_migration_1": CRATES_USERS,
        "2020-08-25-101655_lock_users": CRATES_LOCK,
        "2019-11-15-182353_Add email notifications to crate owners": CRATES_OAUTH,
    }
    for name, up in steps.items():
        (root / name).mkdir(parents=True)
        (root / name / "up.sql").write_text(up)
        (root / name / "down.sql").write_text("SELECT 1;\n")
    (root / "README.md").write_text("# Migrations\n")
    (root / "data_oauth_github.sql").write_text(
        "INSERT INTO oauth_github (user_id, account_id, login)\n"
        "SELECT id, gh_id, gh_login FROM users WHERE users.gh_id > 0\nON CONFLICT DO NOTHING;\n"
    )


def test_diesel_folders_beside_a_loose_data_script_are_read(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """crates.io keeps `data_oauth_github.sql` (a data script run by hand) in its diesel
    migrations folder: the folder was read as "plain SQL files, 1 file" and its 285 version
    folders silently ignored (a static audit FAILed every table). diesel applies the folders
    only: the loose file is named as not read."""
    from schema_audit.sources.sqlfile import read_sql

    root = tmp_path / "migrations"
    _crates_history(root)
    dsn = make_db("rw", CRATES_USERS + CRATES_OAUTH + CRATES_LOCK)
    model, layout = read_sql(root)
    assert layout.name == "diesel"
    assert [f.parent.name[:4] for f in layout.files] == ["2014", "2019", "2020"]
    assert [(i.code, i.revision, i.severity) for i in layout.issues] == [
        ("not-read", "data_oauth_github", "info")
    ]
    assert [str(d) for d in diff_models(live.introspect(dsn), model)] == []


def test_default_null_is_no_unstated_default_under_exactly(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """crates.io `ADD COLUMN account_lock_reason VARCHAR DEFAULT NULL`: PostgreSQL stores no
    default for a NULL constant, so `init --dsn` writes none; the static audit of the history
    with that spec FAILed `exactly columns` ("account_lock_reason (DEFAULT NULL)")."""
    from cli_runner import run_cli

    root = tmp_path / "migrations"
    _crates_history(root)
    dsn = make_db("rw", CRATES_USERS + CRATES_OAUTH + CRATES_LOCK)
    spec = tmp_path / "spec.yaml"
    env = {"SCHEMA_AUDIT_CACHE": "0"}
    assert run_cli("init", "--dsn", dsn, "-o", str(spec), env=env).returncode == 0
    proc = run_cli("audit", "-s", str(spec), "--sql", str(root), "-f", "json", env=env)
    fails = [f["id"] for f in json.loads(proc.stdout)["findings"] if f["status"] == "FAIL"]
    assert (proc.returncode, fails) == (0, [])
    # a default that is not NULL stays a property exactly holds
    (root / "2021-01-01-000000_default" / "up.sql").parent.mkdir()
    (root / "2021-01-01-000000_default" / "up.sql").write_text(
        "ALTER TABLE users ALTER COLUMN account_lock_reason SET DEFAULT 'x';\n"
    )
    proc = run_cli("audit", "-s", str(spec), "--sql", str(root), "-f", "json", env=env)
    fails = [f["id"] for f in json.loads(proc.stdout)["findings"] if f["status"] == "FAIL"]
    assert "tables.users.exactly.columns" in fails


LISTMONK_SCHEMA = """DROP TYPE IF EXISTS list_type CASCADE; CREATE TYPE list_type AS ENUM ('public', 'private', 'temporary');
DROP TYPE IF EXISTS subscriber_status CASCADE; CREATE TYPE subscriber_status AS ENUM ('enabled', 'disabled', 'blocklisted');

-- subscribers
DROP TABLE IF EXISTS subscribers CASCADE;
CREATE TABLE subscribers (
    id              SERIAL PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    status          subscriber_status NOT NULL DEFAULT 'enabled'
);
DROP INDEX IF EXISTS idx_subs_email; CREATE UNIQUE INDEX idx_subs_email ON subscribers(LOWER(email));

-- lists
DROP TABLE IF EXISTS lists CASCADE;
CREATE TABLE lists (
    id              SERIAL PRIMARY KEY,
    type            list_type NOT NULL,
    tags            VARCHAR(100)[]
);
"""


def test_drop_type_if_exists_cascade_of_an_unknown_type_drops_nothing_held(make_db) -> None:  # type: ignore[no-untyped-def]
    """listmonk's schema.sql starts each enum with `DROP TYPE IF EXISTS x CASCADE`: each was
    left unapplied ("the columns it drops are not known") and `init --sql` warned that 14
    statements may not hold, though nothing the model held could be of that type. Run twice
    (a reinstall), the second pass drops the enums' columns as PostgreSQL does."""
    assert _differences(make_db, LISTMONK_SCHEMA) == []
    assert interpret(LISTMONK_SCHEMA).unapplied == []
    assert _differences(make_db, LISTMONK_SCHEMA + LISTMONK_SCHEMA) == []
    # a column of a type the model does not hold: what CASCADE drops is still not decided
    kept = interpret(
        "CREATE TYPE pair AS (a int, b int);\nCREATE TABLE t (id int, p pair);\n"
        "DROP TYPE IF EXISTS pair CASCADE;\n"
    )
    assert [u.sql.split()[:2] for u in kept.unapplied] == [["CREATE", "TYPE"], ["DROP", "TYPE"]]
    wrapped = interpret(
        "CREATE TYPE pair AS (a int, b int);\nCREATE DOMAIN pair_d AS pair;\n"
        "CREATE TABLE t (id int, p pair_d);\nDROP TYPE IF EXISTS pair CASCADE;\n"
    )
    assert [u.sql.split()[:2] for u in wrapped.unapplied][-1] == ["DROP", "TYPE"]


MARQUEZ_V1 = """CREATE TABLE jobs (
  uuid           UUID PRIMARY KEY,
  name           VARCHAR(255) NOT NULL,
  namespace_name VARCHAR(255) NOT NULL
);
"""

MARQUEZ_JOBS_VIEW = """DROP VIEW IF EXISTS jobs_view CASCADE;
CREATE OR REPLACE VIEW jobs_view AS
SELECT j.uuid, j.name, j.namespace_name FROM jobs j;

CREATE OR REPLACE FUNCTION rewrite_jobs_view() RETURNS TRIGGER AS
$$
BEGIN
    INSERT INTO jobs (uuid, name, namespace_name) VALUES (NEW.uuid, NEW.name, NEW.namespace_name)
    ON CONFLICT (uuid) DO UPDATE SET name = EXCLUDED.name;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS update_jobs ON jobs_view;
CREATE TRIGGER update_jobs
    INSTEAD OF UPDATE OR INSERT
    ON jobs_view
    FOR EACH ROW EXECUTE FUNCTION rewrite_jobs_view();
"""

MARQUEZ_RUNS_VIEW = """DROP VIEW IF EXISTS runs_view CASCADE;
CREATE VIEW runs_view AS SELECT j.uuid AS job_uuid, j.name FROM jobs j;
"""


def test_flyway_repeatables_and_a_trigger_on_a_view(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Marquez (Flyway, 84 files): its three repeatable migrations (`R__Jobs_view….sql`, no
    version) FAILed as "duplicate-version" of each other; `CREATE TRIGGER … INSTEAD OF … ON
    jobs_view` was refused statically ("table public.jobs_view does not exist") and a live
    read dropped the trigger without a word (dropping it after init PASSed). Both readers
    name a trigger on a view as a blind spot now."""
    from schema_audit.sources.sqlfile import read_sql

    root = tmp_path / "migration"
    root.mkdir()
    (root / "V1__initial_schema.sql").write_text(MARQUEZ_V1)
    (root / "R__Jobs_view_and_rewrite_function.sql").write_text(MARQUEZ_JOBS_VIEW)
    (root / "R__Runs_view.sql").write_text(MARQUEZ_RUNS_VIEW)
    dsn = make_db("rw", MARQUEZ_V1 + MARQUEZ_JOBS_VIEW + MARQUEZ_RUNS_VIEW)
    model, layout = read_sql(root)
    assert (layout.name, [i.code for i in layout.issues]) == ("flyway", [])
    assert model.statements_unapplied() == []
    assert [str(d) for d in diff_models(live.introspect(dsn), model)] == []
    named = "trigger update_jobs on view public.jobs_view is not modelled"
    assert [s for s in model.blind_spots if named in s] != []
    assert [s for s in live.introspect(dsn).blind_spots if s.startswith(named)] != []
    dropped = interpret(MARQUEZ_V1 + MARQUEZ_JOBS_VIEW + "DROP TRIGGER update_jobs ON jobs_view;\n")
    assert dropped.statements_unapplied() == []


MAKERKIT_ACCOUNTS = """create schema if not exists auth;
create or replace function auth.uid() returns uuid language sql stable as
$$ select nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
create or replace function auth.jwt() returns jsonb language sql stable as
$$ select coalesce(current_setting('request.jwt.claims', true), '{}')::jsonb $$;
create table if not exists
    public.accounts
(
    id          uuid unique  not null,
    name        varchar(255) not null,
    primary key (id)
);
create table public.memberships (account_id uuid references public.accounts, user_id uuid);
alter table "public"."accounts"
    enable row level security;
create policy accounts_read on public.accounts for
    select
    to public using (
        (select auth.uid()) = id
    );
create policy accounts_update on public.accounts
    for update
    using (
        (select auth.uid()) = id
    )
    with
    check (
        id in (select m.account_id from public.memberships m where m.user_id = (select auth.uid()))
    );
create policy accounts_admin on public.accounts for delete using (
    (select auth.jwt() ->> 'role') = 'admin' and (select auth.uid() as owner) = id
);
"""


def test_policy_subquery_output_names_postgresql_adds(make_db) -> None:  # type: ignore[no-untyped-def]
    """makerkit (Supabase): `using ((select auth.uid()) = id)` is stored as `(( SELECT
    auth.uid() AS uid) = id)`, PostgreSQL naming the subquery's column as it would anyway;
    `diff` of the migration against the migrated database reported three differences. An
    alias other than that name (`as owner`) stays part of the text."""
    from schema_audit.sqlnorm import canonical_expr

    assert _differences(make_db, MAKERKIT_ACCOUNTS) == []
    assert canonical_expr("(( SELECT auth.uid() AS uid) = id)") == "(SELECT auth.uid()) = id"
    assert canonical_expr("(SELECT auth.uid() AS owner) = id") != "(SELECT auth.uid()) = id"


RAZIKUS_TODO = """create table "public"."todo_list" (
    "id" bigint generated by default as identity not null,
    "created_at" timestamp with time zone not null default now(),
    "title" text not null,
    "seq" integer generated always as identity,
    "owner" uuid not null
);
alter table "public"."todo_list" enable row level security;
CREATE UNIQUE INDEX todo_list_pkey ON public.todo_list USING btree (id);
alter table "public"."todo_list" add constraint "todo_list_pkey" PRIMARY KEY using index "todo_list_pkey";
"""


def test_set_generated_changes_the_identity_kind(make_db) -> None:  # type: ignore[no-untyped-def]
    """A Supabase template's todo_list, then `alter column id set generated always`: the
    static reading ignored the subcommand (identity stayed BY DEFAULT), so a static audit
    PASSed init's `identity: by default` that the migrated database no longer has (the live
    audit FAILed it). SET GENERATED BY DEFAULT the other way; on a column without an identity
    PostgreSQL refuses it, and so does the static reading."""
    change = (
        'alter table "public"."todo_list" alter column "id" set generated always;\n'
        'alter table "public"."todo_list" alter column "seq" set generated by default'
        " set increment by 2;\n"
    )
    assert _differences(make_db, RAZIKUS_TODO + change) == []
    columns = interpret(RAZIKUS_TODO + change).tables["public.todo_list"].columns
    assert (columns["id"].identity, columns["seq"].identity) == ("always", "by default")
    refused = interpret(
        RAZIKUS_TODO + 'alter table todo_list alter column "title" set generated always;\n'
    )
    assert [u.sql.split()[-3:] for u in refused.unapplied] == [["set", "generated", "always"]]


ENTE_KIT = """CREATE TABLE IF NOT EXISTS legacy_kit (
    id UUID PRIMARY KEY NOT NULL,
    -- Closed numeric scheme identifier. 1 = 2-of-3 shares.
    variant INT NOT NULL CHECK (variant IN (1)),
    plan_type TEXT NOT NULL CHECK (plan_type IN ('10_GB_ON_UPGRADE')),
    state TEXT CHECK (state NOT IN ('DELETED')),
    kind TEXT CHECK (kind = ANY (ARRAY['a'])),
    is_deleted BOOLEAN NOT NULL DEFAULT FALSE
);
"""


def test_one_item_in_list_is_stored_as_an_operator(make_db) -> None:  # type: ignore[no-untyped-def]
    """ente (golang-migrate): `CHECK (variant IN (1))` is stored as `(variant = 1)` (NOT IN:
    `<>`): the static audit of the history FAILed init's CHECK from the migrated database,
    and `diff` named two differences."""
    assert _differences(make_db, ENTE_KIT) == []


# Kratos-style pop migrations (written for this test): one folder for every database
KRATOS_POP = {
    "20191100000001000000_identities.postgres.up.sql": """CREATE TABLE "identities" (
"id" UUID NOT NULL,
PRIMARY KEY("id"),
"traits" jsonb NOT NULL,
"created_at" timestamp NOT NULL
);""",
    "20191100000001000000_identities.mysql.up.sql": """CREATE TABLE `identities` (
`id` char(36) NOT NULL,
PRIMARY KEY(`id`),
`traits` JSON NOT NULL
) ENGINE=InnoDB;""",
    "20191100000001000000_identities.sqlite3.up.sql": """CREATE TABLE "identities" (
"id" TEXT PRIMARY KEY,
"traits" TEXT NOT NULL,
"sqlite_only" TEXT
);""",
    "20191100000001000000_identities.cockroach.up.sql": """CREATE TABLE "identities" (
"id" UUID NOT NULL, PRIMARY KEY("id"), "traits" json NOT NULL, "crdb_only" TEXT
);""",
    "20191100000001000000_identities.postgres.down.sql": 'DROP TABLE "identities";',
    # a dialect-less file: every database, unless one has its own file of that version
    "20200317160354000000_state.up.sql": (
        "ALTER TABLE identities ADD COLUMN state VARCHAR(255) NOT NULL DEFAULT 'active';"
    ),
    "20200317160354000001_state.up.sql": "CREATE INDEX identities_state_idx ON identities (state);",
    "20200317160354000001_state.postgres.up.sql": (
        "CREATE INDEX identities_state_idx ON identities (state) WHERE state <> 'inactive';"
    ),
    # an empty postgres file overrides the dialect-less one (pop projects do this)
    "20200317160354000002_sqlite_fix.up.sql": "ALTER TABLE identities ADD COLUMN legacy TEXT;",
    "20200317160354000002_sqlite_fix.postgres.up.sql": "",
    # pop runs each migration in a transaction (LOCK TABLE needs one), `.autocommit` outside one
    "20200317160354000003_nid.postgres.up.sql": (
        "LOCK TABLE identities;\nALTER TABLE identities ADD COLUMN nid UUID;"
    ),
    "20241029153900000001_identities.autocommit.up.sql": (
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS identities_created_at_idx"
        " ON identities (created_at DESC);"
    ),
    "20241029153900000001_identities.autocommit.down.sql": (
        "DROP INDEX CONCURRENTLY identities_created_at_idx;"
    ),
}


def test_pop_folder_applies_the_postgres_files_only(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Ory Kratos (pop/popx, 3,483 files in one folder: postgres, cockroach, mysql, sqlite3 and
    dialect-less migrations of each version) was read as one golang-migrate folder: every
    dialect's file applied, 664 MySQL/SQLite files as syntax errors, duplicate-version errors,
    exit 2. pop applies, per version, the ``postgres`` file, else the dialect-less one: the
    model must be the database pop's order gives (applied here file by file in that order)."""
    from schema_audit.sources.sqlfile import read_sql

    root = tmp_path / "sql"
    root.mkdir()
    for name, text in KRATOS_POP.items():
        (root / name).write_text(text + "\n")
    pop_order = [
        "20191100000001000000_identities.postgres.up.sql",
        "20200317160354000000_state.up.sql",
        "20200317160354000001_state.postgres.up.sql",
        "20200317160354000002_sqlite_fix.postgres.up.sql",
        "20200317160354000003_nid.postgres.up.sql",
        "20241029153900000001_identities.autocommit.up.sql",
    ]
    dsn = make_db("rw")
    with psycopg.connect(dsn, autocommit=True) as conn:  # CONCURRENTLY: no transaction
        for name in pop_order:
            if KRATOS_POP[name]:
                conn.execute(KRATOS_POP[name])
    model, layout = read_sql(root)
    assert layout.name == "pop"
    assert [f.name for f in layout.files] == pop_order
    assert [(i.code, i.severity) for i in layout.issues] == [("other-dialect", "info")]
    assert "1 for cockroach, 1 for mysql, 1 for sqlite3" in layout.issues[0].message
    assert model.unapplied == []
    assert [str(d) for d in diff_models(live.introspect(dsn), model)] == []
    columns = sorted(model.tables["public.identities"].columns)
    assert columns == ["created_at", "id", "nid", "state", "traits"]


def test_pop_folder_replays_in_pops_transactions(pg_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A replay of a pop folder applies what pop applies (not MySQL's files, where it stopped)
    and as pop does: each migration in a transaction (`LOCK TABLE` works), a `.autocommit`
    one outside (`CREATE INDEX CONCURRENTLY` works)."""
    from schema_audit.sources.replay import replay_sql, scratch_database
    from schema_audit.sources.sqlfile import read_sql

    root = tmp_path / "sql"
    root.mkdir()
    for name, text in KRATOS_POP.items():
        (root / name).write_text(text + "\n")
    with scratch_database(pg_server.admin_dsn) as scratch:
        replay_sql(root, scratch)
        assert scratch.failed is None, scratch.failed
        replayed = live.introspect(scratch.dsn)
    assert [str(d) for d in diff_models(replayed, read_sql(root)[0])] == []
    assert "identities_created_at_idx" in replayed.tables["public.identities"].indexes


GRAPHILE_USERS = """
create extension if not exists citext with schema public;
create schema app_public;
create table app_public.users (
  id uuid primary key,
  username citext not null unique check(length(username) >= 2 and length(username) <= 24
    and username ~ '^[a-zA-Z]([_]?[a-zA-Z0-9])+$'),
  is_admin boolean not null default false
);
create table app_public.user_emails (
  id uuid primary key,
  user_id uuid not null references app_public.users on delete cascade,
  email citext not null check (email ~ '[^@]+@[^@]+\\.[^@]+'),
  is_verified boolean not null default false
);
create unique index uniq_user_emails_verified_email on app_public.user_emails(email)
  where (is_verified is true and email <> 'root@localhost');
alter table app_public.user_emails enable row level security;
create policy select_own on app_public.user_emails for select
  using (email like '%@example.com' or email ~* '^admin@');
"""


def test_citext_operators_are_the_extensions_own(make_db) -> None:  # type: ignore[no-untyped-def]
    """graphile/starter: `username citext … check (username ~ '^[a-zA-Z]…')` is stored as
    `(username OPERATOR(public.~) '…'::public.citext)`: citext brings its own `~`, `=`, `LIKE`
    operators, which the catalog (read with an empty search_path) prints qualified. The
    static reading kept `~`: a static audit with `init --dsn`'s spec FAILed both CHECKs.
    Dropping the qualifier in the canonical form instead would make `email::text ~ '…'`
    (case-sensitive) PASS against citext's `~`: the static reading qualifies it."""
    dsn = make_db("rw")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(GRAPHILE_USERS)
        stored = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname ="
            " 'user_emails_email_check'"
        ).fetchone()
        conn.execute("SET search_path = ''")  # as the live read prints it
        qualified = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname ="
            " 'user_emails_email_check'"
        ).fetchone()
    assert stored is not None and qualified is not None
    assert "OPERATOR(public.~)" in qualified[0], qualified  # the catalog's own spelling
    assert [str(d) for d in diff_models(live.introspect(dsn), interpret(GRAPHILE_USERS))] == []
    # another operator is still another operator, and pg_catalog's (case-sensitive) `~` on
    # the column cast to text is not citext's
    for changed in ("email ~* '[^@]", "email::text ~ '[^@]"):
        other = interpret(GRAPHILE_USERS.replace("email ~ '[^@]", changed))
        assert [str(d) for d in diff_models(live.introspect(dsn), other)] != [], changed


GRAPHILE_AFTER_RESET = """BEGIN;
CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;
COMMIT;
"""
GRAPHILE_000001 = """--! Previous: -
--! Hash: sha1:0123456789abcdef0123456789abcdef01234567

--! split: 0001-reset.sql
drop schema if exists app_public cascade;

--! split: 0020-schemas.sql
create schema app_public;
create table app_public.organizations (
  id uuid primary key,
  slug citext not null unique,
  name text not null
);
lock table app_public.organizations;
"""
GRAPHILE_000002 = """--! Previous: sha1:0123456789abcdef0123456789abcdef01234567
--! Hash: sha1:89abcdef0123456789abcdef0123456789abcdef
--! no-transaction

create index concurrently organizations_name_idx on app_public.organizations (name);
"""


def test_graphile_migrate_committed_migrations_are_read(make_db, pg_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """graphile/starter (graphile-migrate): `migrations/` holds `afterReset.sql` beside the
    folders `committed/` (the migrations, `000001.sql` …) and `current/` (uncommitted work).
    Read as a flat SQL folder only afterReset.sql was applied: the whole schema of
    committed/000001.sql was ignored without a word. Now: afterReset.sql, then committed/ in
    order (current/ named, not read); each committed migration replays in a transaction
    unless its header says `--! no-transaction`."""
    from schema_audit.sources.replay import replay_sql, scratch_database
    from schema_audit.sources.sqlfile import read_sql

    root = tmp_path / "migrations"
    (root / "committed").mkdir(parents=True)
    (root / "current").mkdir()
    (root / "afterReset.sql").write_text(GRAPHILE_AFTER_RESET)
    (root / "committed" / "000001.sql").write_text(GRAPHILE_000001)
    (root / "committed" / "000002-name-index.sql").write_text(GRAPHILE_000002)
    (root / "current" / "1-current.sql").write_text(
        "alter table app_public.organizations add x int;\n"
    )
    dsn = make_db("rw")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(GRAPHILE_AFTER_RESET)
        conn.execute(GRAPHILE_000001)
        conn.execute(GRAPHILE_000002)
    model, layout = read_sql(root)
    assert layout.name == "graphile-migrate"
    assert [f.name for f in layout.files] == [
        "afterReset.sql",
        "000001.sql",
        "000002-name-index.sql",
    ]
    assert [(i.code, i.severity) for i in layout.issues] == [
        ("after-reset", "info"),
        ("not-read", "info"),
    ]
    assert [str(d) for d in diff_models(live.introspect(dsn), model)] == []
    assert "x" not in model.tables["app_public.organizations"].columns
    with scratch_database(pg_server.admin_dsn) as scratch:
        replay_sql(root, scratch)
        assert scratch.failed is None, scratch.failed
        replayed = live.introspect(scratch.dsn)
    assert [str(d) for d in diff_models(replayed, model)] == []


CKAN_HELPERS = '''from typing import Any


def skip_based_on_legacy_engine_version(op: Any, filename: str) -> bool:
    """Skip a revision an older migration tool already applied (its version in alembic.ini)."""
    conf = op.get_context().config
    version = conf.get_main_option("sqlalchemy_migrate_version")
    if version:
        return int(version) >= int(filename.split("_", 1)[0])
    return False
'''
CKAN_REVISION = '''"""Add group object

Revision ID: f92ee205e46d
"""
from alembic import op
import sqlalchemy as sa
from ckan_rw_migration import skip_based_on_legacy_engine_version

revision = "f92ee205e46d"
down_revision = None


def upgrade():
    if skip_based_on_legacy_engine_version(op, __name__):
        return
    op.create_table(
        "group",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("name", sa.UnicodeText, nullable=False, unique=True),
        sa.Column("title", sa.UnicodeText),
    )
    op.execute("ALTER TABLE \\"group\\" ADD COLUMN state text DEFAULT 'active'")


def downgrade():
    op.drop_table("group")
'''


def test_a_revision_reads_the_alembic_config_through_its_context(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """CKAN (110 Alembic revisions): 87 revisions start with
    `skip_based_on_legacy_engine_version(op, __name__)`, which reads
    `op.get_context().config.get_main_option(…)`. Under Alembic (online or `upgrade --sql`)
    that is the project's Config; the tool rendered with a context without one, so every such
    revision failed ("'NoneType' object has no attribute 'get_main_option'") and was read
    from its syntax tree, which cannot follow the call: static audit 98 FAIL / 461 DEFERRED,
    no init --sql spec. The rendering context now carries the project's alembic.ini Config."""
    from schema_audit.sources import alembic as alembic_source

    project = tmp_path / "migration"
    (project / "versions").mkdir(parents=True)
    (project / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s\n")
    (project / "ckan_rw_migration.py").write_text(CKAN_HELPERS)
    (project / "versions" / "004_f92ee205e46d_add_group_object.py").write_text(CKAN_REVISION)
    history = alembic_source.render_history(project)
    assert [(r.revision, r.error) for r in history.revisions] == [("f92ee205e46d", None)]
    dsn = make_db("rw")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for rev in history.revisions:
            for stmt in rev.statements:
                conn.execute(stmt.sql)
    static = alembic_source.model_from_history(history)
    assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []
    assert sorted(static.tables['public."group"'].columns) == ["id", "name", "state", "title"]


CHINOOK_BEFORE = """--
-- PostgreSQL database dump
--
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);

CREATE TABLE public."Artist" (
    "ArtistId" integer NOT NULL,
    "Name" character varying(120)
);

--
-- Data for Name: Artist; Type: TABLE DATA; Schema: public; Owner: -
--

"""
CHINOOK_COPY = 'COPY public."Artist" ("ArtistId", "Name") FROM stdin;'
CHINOOK_ROWS = "1\tAC/DC\n2\tAccept\n3\tCREATE TABLE x (a int); -- a row, not SQL\n4\t\\N\n"
CHINOOK_AFTER = """

--
-- Name: Artist PK_Artist; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public."Artist"
    ADD CONSTRAINT "PK_Artist" PRIMARY KEY ("ArtistId");
"""


def test_pg_dump_rows_after_copy_from_stdin_are_not_sql(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """neondatabase/postgres-sample-dbs (chinook, netflix, titanic … pg_dump files with their
    data): psql reads a `COPY … FROM stdin;`'s rows from the file up to `\\.`. Read as SQL,
    each row was a syntax error and pg_dump's `ALTER TABLE … ADD CONSTRAINT … PRIMARY KEY`
    after the rows was swallowed with them: every primary key and foreign key missing from
    the static reading (chinook: static audit with init --dsn's spec 63 FAIL, exit 2)."""
    from schema_audit.sources.sqlfile import read_sql

    dump = tmp_path / "chinook.sql"
    dump.write_text(CHINOOK_BEFORE + CHINOOK_COPY + "\n" + CHINOOK_ROWS + "\\.\n" + CHINOOK_AFTER)
    dsn = make_db("rw")
    with psycopg.connect(dsn, autocommit=True) as conn:  # as psql runs the file
        conn.execute(CHINOOK_BEFORE)
        with conn.cursor().copy(CHINOOK_COPY.rstrip(";")) as copy:
            copy.write(CHINOOK_ROWS)
        conn.execute(CHINOOK_AFTER)
        assert conn.execute('SELECT count(*) FROM public."Artist"').fetchone() == (4,)
    model, _ = read_sql(dump)
    assert [str(d) for d in diff_models(live.introspect(dsn), model)] == []
    assert [(u.line, u.kind) for u in model.unapplied] == [(16, "data")]  # the COPY itself
    assert "public.x" not in model.tables


HYDRA_CLIENT = """
CREATE TABLE hydra_client (
    id varchar(255) NOT NULL,
    pk SERIAL PRIMARY KEY,
    client_name text NOT NULL
);
CREATE TABLE hydra_jwk (pk SERIAL PRIMARY KEY, sid varchar(255) NOT NULL);
ALTER TABLE hydra_client RENAME pk TO pk_deprecated;
ALTER TABLE hydra_jwk RENAME COLUMN pk TO pk_deprecated;
"""


def test_renamed_serial_column_keeps_its_sequence(make_db) -> None:  # type: ignore[no-untyped-def]
    """Ory Hydra (pop): `ALTER TABLE hydra_client RENAME pk TO pk_deprecated` of a SERIAL
    column; the sequence stays owned by the column under its new name (pg_depend follows the
    column), while the static reading kept `OWNED BY hydra_client.pk`: a static audit with
    init --dsn's spec FAILed `sequences.hydra_client_pk_seq` and `…hydra_jwk_pk_seq`."""
    dsn = make_db("rw", HYDRA_CLIENT)
    static = interpret(HYDRA_CLIENT)
    assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []
    assert static.sequences["public.hydra_client_pk_seq"].owned_by == "hydra_client.pk_deprecated"
