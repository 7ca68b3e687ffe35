"""Real-world trial (fifteenth session, trial14): static reading == catalog on projects' own forms.

Fixtures are written here in each project's style; no project file is copied. Each test applies
its SQL to a real database and compares what the tool says of the static reading of the same SQL
with what the catalog says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
from cli_runner import run_cli

# ghostfolio's form (Prisma): an enum column with a literal default, moved to TEXT, then the
# enum dropped with CASCADE. PostgreSQL keeps the default as a value of the enum coerced to
# text ('USD'::"Currency"), so the CASCADE drops the default with the type.
ENUM_TO_TEXT = {
    "20210604190809_initial_migration/migration.sql": """
        -- CreateEnum
        CREATE TYPE "Currency" AS ENUM ('CHF', 'EUR', 'USD');

        -- CreateTable
        CREATE TABLE "Account" (
            "id" TEXT NOT NULL,
            "currency" "Currency" NOT NULL DEFAULT E'USD',
            "fee" "Currency" DEFAULT 'EUR'::"Currency",

            CONSTRAINT "Account_pkey" PRIMARY KEY ("id")
        );
    """,
    "20210921151004_changed_currency_from_enum_to_string/migration.sql": """
        -- AlterTable
        ALTER TABLE "Account" ALTER COLUMN "currency" TYPE TEXT;

        -- AlterTable
        ALTER TABLE "Account" ALTER COLUMN "fee" TYPE TEXT;
    """,
}
DROP_ENUM = {
    "20210921151005_drop_currency_enum/migration.sql": """
        -- DropEnum
        DROP TYPE "Currency"{behaviour};
    """,
}


def _prisma_folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "migration_lock.toml").write_text('provider = "postgresql"\n')
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True)
        (folder / name).write_text(text)
    return folder


def _differences(folder: Path, dsn: str) -> list[Any]:
    proc = run_cli("diff", folder, dsn, "-f", "json")
    differences: list[Any] = json.loads(proc.stdout)["differences"]
    return differences


def test_drop_type_cascade_takes_the_defaults_holding_its_values(
    make_db: Any, tmp_path: Path
) -> None:
    """The static reading kept `currency`'s default 'USD' (and `fee`'s 'EUR'::"Currency") after
    DROP TYPE "Currency" CASCADE, where PostgreSQL drops both defaults with the type: `diff`
    counted a difference, init --sql's spec FAILed the database and a spec saying "no
    default" FAILed the history (false FAILs; a spec requiring the default PASSed statically:
    a false PASS). Found on ghostfolio/ghostfolio's Prisma history."""
    files = {**ENUM_TO_TEXT}
    files.update({k: v.format(behaviour=" CASCADE") for k, v in DROP_ENUM.items()})
    folder = _prisma_folder(tmp_path, files)
    dsn = make_db("trial14_enum_default", "".join(files.values()))
    assert _differences(folder, dsn) == []

    spec = tmp_path / "static.yaml"
    assert run_cli("init", "--sql", folder, "-o", spec).returncode == 0
    audit = run_cli("audit", "-s", spec, "--dsn", dsn, "-f", "json")
    failing = [f["id"] for f in json.loads(audit.stdout)["findings"] if f["status"] == "FAIL"]
    assert failing == [], failing

    live_spec = tmp_path / "live.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", live_spec).returncode == 0
    audit = run_cli("audit", "-s", live_spec, "--sql", folder, "-f", "json")
    found = {f["id"]: f["status"] for f in json.loads(audit.stdout)["findings"]}
    assert found["tables.Account.exactly.columns"] == "PASS"
    assert [i for i, s in found.items() if s == "FAIL"] == []


def test_drop_type_is_refused_while_a_default_holds_its_value(make_db: Any, tmp_path: Path) -> None:
    """Without CASCADE PostgreSQL refuses the DROP TYPE ("default value for column currency
    of table "Account" depends on type "Currency""); the static reading dropped the enum, so
    the enum a database migrated up to the refusal holds was missing statically (false FAIL)."""
    files = {**ENUM_TO_TEXT}
    files.update({k: v.format(behaviour="") for k, v in DROP_ENUM.items()})
    folder = _prisma_folder(tmp_path, files)
    dsn = make_db("trial14_enum_refused", "".join(ENUM_TO_TEXT.values()))
    assert _differences(folder, dsn) == []
    inspect = run_cli("inspect", "--sql", folder)
    model = json.loads(inspect.stdout)["model"]
    assert 'public."Currency"' in model["enums"]
    assert any("depend on it" in u["reason"] for u in model["unapplied"]), model["unapplied"]


# supabase/postgres's form (dbmate, `-- migrate:up`): objects made by one role, granted to
# it, then handed to another with OWNER TO. PostgreSQL moves the old owner's ACL entries to
# the new owner (its own privileges, which the catalog's grants leave out): the old owner
# keeps nothing.
OWNER_ROLES = ("tr14_auth_admin", "tr14_old_owner")


def _roles(pg_server: Any) -> str:
    with psycopg.connect(pg_server.admin_dsn, autocommit=True) as conn:
        for role in OWNER_ROLES:
            conn.execute(
                f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
                f"THEN CREATE ROLE {role}; END IF; END $$"
            )
        row = conn.execute("SELECT current_user").fetchone()
    assert row is not None
    return str(row[0])


def _audit_of_history(
    make_db: Any, tmp_path: Path, label: str, files: dict[str, str]
) -> dict[str, Any]:
    """``files`` as a dbmate folder and as the database they build: `diff` finds no
    difference; the findings (by id) of `init --dsn`'s spec audited against the folder."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(f"-- migrate:up\n{text}\n-- migrate:down\n")
    dsn = make_db(label, "".join(files.values()))
    assert _differences(folder, dsn) == []
    live_spec = tmp_path / "live.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", live_spec).returncode == 0
    audit = run_cli("audit", "-s", live_spec, "--sql", folder, "-f", "json")
    return {f["id"]: f for f in json.loads(audit.stdout)["findings"]}


def test_owner_to_takes_the_old_owner_s_grants_along(
    pg_server: Any, make_db: Any, tmp_path: Path
) -> None:
    """A grant to the object's owner merges into the owner's own privileges and goes with
    them to the new owner; the static reading kept it: `diff` counted a difference and
    init's spec FAILed the history (`tr14_old_owner EXECUTE not in the spec`), where a spec
    requiring it PASSed statically (false FAIL, false PASS; supabase/postgres's auth.email,
    owned by postgres, granted to postgres, then OWNER TO supabase_auth_admin)."""
    _roles(pg_server)
    files = {
        "20211115181400_auth.sql": """
            CREATE SCHEMA tr14_auth;
            CREATE FUNCTION tr14_auth.email() RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$;
            CREATE TABLE tr14_auth.users (id int PRIMARY KEY);
            ALTER FUNCTION tr14_auth.email() OWNER TO tr14_old_owner;
            ALTER TABLE tr14_auth.users OWNER TO tr14_old_owner;
            GRANT ALL ON ALL ROUTINES IN SCHEMA tr14_auth TO tr14_old_owner;
            GRANT SELECT ON tr14_auth.users TO tr14_old_owner;
        """,
        "20211124212715_update-auth-owner.sql": """
            ALTER FUNCTION tr14_auth.email OWNER TO tr14_auth_admin;
            ALTER TABLE tr14_auth.users OWNER TO tr14_auth_admin;
        """,
    }
    found = _audit_of_history(make_db, tmp_path, "trial14_owner_known", files)
    assert found["functions.tr14_auth.email"]["status"] == "PASS"
    assert found["tables.tr14_auth.users.exactly.privileges"]["status"] == "PASS"


def test_owner_to_from_the_runner_leaves_its_grants_to_the_runner_s_world(
    pg_server: Any, make_db: Any, tmp_path: Path
) -> None:
    """Made by the role running the history (unknown statically), granted to a role that may
    be that runner, then OWNER TO another: if that role ran it, its grant went with the
    ownership. The static reading kept the grant in every world: init --dsn's spec FAILed
    the history, `diff` counted a difference (false FAILs). Now it holds unless that role
    runs the history: DEFERRED with the reason, undecided in `diff`."""
    runner = _roles(pg_server)
    files = {
        "20211115181400_auth.sql": f"""
            CREATE SCHEMA tr14_auth;
            CREATE FUNCTION tr14_auth.uid() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
            GRANT EXECUTE ON FUNCTION tr14_auth.uid() TO "{runner}";
        """,
        "20211124212715_update-auth-owner.sql": """
            ALTER FUNCTION tr14_auth.uid OWNER TO tr14_auth_admin;
        """,
    }
    uid = _audit_of_history(make_db, tmp_path, "trial14_owner_runner", files)[
        "functions.tr14_auth.uid"
    ]
    assert uid["status"] == "DEFERRED", uid
    assert f"PASS if {runner} runs it" in uid["message"]


def _static_spec_on_database(
    make_db: Any, tmp_path: Path, label: str, files: dict[str, str]
) -> dict[str, str]:
    """``files`` as a golang-migrate folder and as the database they build: `diff` finds no
    difference; each finding's status when `init --sql`'s spec of the folder audits the
    database."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    dsn = make_db(label, "".join(files.values()))
    assert _differences(folder, dsn) == []
    spec = tmp_path / "static.yaml"
    assert run_cli("init", "--sql", folder, "-o", spec).returncode == 0
    audit = run_cli("audit", "-s", spec, "--dsn", dsn, "-f", "json")
    return {f["id"]: f["status"] for f in json.loads(audit.stdout)["findings"]}


# hashicorp/boundary's form (golang-migrate, `NN_name.up.sql`): a function named like the
# domain its values fill, called by column defaults and a CHECK, then both renamed.
RENAMED_FUNCTION = {
    "01_wh_domain_types.up.sql": """
        create or replace function wh_dim_id() returns text
        as $$
          select encode(sha256(gen_random_uuid()::text::bytea), 'base64');
        $$ language sql;
        create domain wh_dim_id as text
        check(length(trim(value)) > 0);
    """,
    "02_wh_session_dimensions.up.sql": """
        create table wh_user_dimension (
          id wh_dim_id primary key default wh_dim_id(),
          tag text check (tag <> wh_dim_id())
        );
        create table job_run (
          private_id wh_dim_id primary key default public.wh_dim_id()
        );
    """,
    "03_wh_rename_key_columns.up.sql": """
        alter function wh_dim_id rename to wh_dim_key;
        alter domain wh_dim_id rename to wh_dim_key;
    """,
}


def test_a_renamed_function_is_called_by_its_new_name(make_db: Any, tmp_path: Path) -> None:
    """PostgreSQL keeps a default's or CHECK's function by OID and prints its new name after
    `ALTER FUNCTION … RENAME`; the static reading kept the old one: `diff` counted each as a
    difference, init --sql's spec FAILed the database (`default: wh_dim_id()`) and a spec
    naming the old function PASSed statically (false FAILs, false PASS; hashicorp/boundary,
    three columns)."""
    found = _static_spec_on_database(
        make_db, tmp_path, "trial14_renamed_function", RENAMED_FUNCTION
    )
    failing = [i for i, status in found.items() if status == "FAIL" and not i.startswith("rules.")]
    assert failing == [], failing


# hashicorp/boundary's form: a domain made with `default null` (PostgreSQL keeps no default
# for a NULL constant), and one whose default is set to null later.
NULL_DOMAIN_DEFAULTS = {
    "01_session_recording.up.sql": """
        create domain rec_timestamp as timestamptz default null;
        comment on domain rec_timestamp is
          'rec_timestamp is null until the recording has started.';
        create domain rec_state as text default 'pending';
        create table recording_session (
          public_id text primary key,
          start_time rec_timestamp null,
          state rec_state
        );
    """,
    "02_recording_state.up.sql": """
        alter domain rec_state set default null::text;
    """,
}


def test_a_domain_default_of_null_is_no_default(make_db: Any, tmp_path: Path) -> None:
    """`create domain … default null` (and `alter domain … set default null`) leave pg_type
    without a default, as a column's `DEFAULT NULL` does; the static reading kept `NULL`:
    `diff` counted a difference and init --sql's spec FAILed the database (`default is
    NULL`; hashicorp/boundary's rec_timestamp)."""
    found = _static_spec_on_database(
        make_db, tmp_path, "trial14_null_domain_default", NULL_DOMAIN_DEFAULTS
    )
    assert found["domains.rec_timestamp"] == "PASS"
    assert found["domains.rec_state"] == "PASS"


# hashicorp/boundary's view forms: a set-returning function in FROM reading the item before
# it without the word LATERAL (PostgreSQL prints it), and a view over pg_catalog written with
# pg_catalog's qualifiers (PostgreSQL prints them bare: pg_catalog is searched first).
CATALOG_SPELLED_VIEWS = {
    "01_ldap_managed_groups.up.sql": """
        create table auth_ldap_account (public_id text primary key, member_of_groups jsonb);
        create view auth_ldap_managed_group_member_account as
        select a.public_id, ag.group_name
          from auth_ldap_account a
          left join jsonb_array_elements(a.member_of_groups) as ag(group_name) on true;
    """,
    "02_deletion_tables_view.up.sql": """
        create view deletion_table as
        select c.relname as tablename
          from pg_catalog.pg_class c
         where c.relkind in ('r')
           and c.relname operator(pg_catalog.~) '^(.+_deleted)$' collate pg_catalog."default"
           and pg_catalog.pg_table_is_visible(c.oid);
    """,
}


def test_views_in_the_catalog_s_spelling_are_the_same_query(make_db: Any, tmp_path: Path) -> None:
    """`LEFT JOIN jsonb_array_elements(a.x) …` is printed `LEFT JOIN LATERAL …`, and
    `pg_catalog.pg_class` / `COLLATE pg_catalog."default"` bare; the view comparison kept both
    apart: `diff` counted two differences and init --sql's spec FAILed the database's views
    (false FAILs, hashicorp/boundary)."""
    found = _static_spec_on_database(
        make_db, tmp_path, "trial14_catalog_views", CATALOG_SPELLED_VIEWS
    )
    for view in ("auth_ldap_managed_group_member_account", "deletion_table"):
        assert found[f"views.{view}"] == "PASS", view


# hashicorp/boundary's row forms: a CHECK over a parenthesized row, and a view grouping by a
# parenthesized list (PostgreSQL prints `ROW(…)` for the first, the bare items for the second).
ROW_FORMS = {
    "01_ldap_user_entry_search.up.sql": """
        create table auth_ldap_user_entry_search (
          ldap_method_id text primary key,
          user_dn text,
          user_attr text,
          user_filter text,
          constraint all_fields_are_not_null
            check (not(user_dn, user_attr, user_filter) is null)
        );
    """,
    "02_kms_destruction_job_progress.up.sql": """
        create table kms_destruction_job_run (key_id text, scope_id text, completed_count int);
        create view kms_destruction_job_progress as
        select key_id, scope_id, sum(completed_count) as completed_count
          from kms_destruction_job_run
         group by (key_id, scope_id);
    """,
}


def test_parenthesized_rows_compare_as_the_catalog_prints_them(
    make_db: Any, tmp_path: Path
) -> None:
    """`check (not(a, b, c) is null)` is printed `NOT (ROW(a, b, c) IS NULL)` and `group by
    (a, b)` is `GROUP BY a, b`; the comparison kept them apart: `diff` counted a difference
    for the view, init --sql's spec FAILed the database's CHECK and view (false FAILs,
    hashicorp/boundary)."""
    found = _static_spec_on_database(make_db, tmp_path, "trial14_row_forms", ROW_FORMS)
    assert found["tables.auth_ldap_user_entry_search.checks.all_fields_are_not_null"] == "PASS"
    assert found["views.kms_destruction_job_progress"] == "PASS"


# hashicorp/boundary's 84/01 credential_vault_library refactor: a table copied with
# `create table … as select * from …`, then keyed and constrained.
TABLE_AS_STAR = {
    "01_credential_library.up.sql": """
        create table credential_library (
          public_id text primary key,
          store_id text not null,
          project_id text not null,
          credential_type text
        );
    """,
    "02_credential_vault_library_refactor.up.sql": """
        create table credential_vault_library as
          select * from credential_library;
        alter table credential_vault_library
          add primary key (public_id),
          alter column store_id set not null,
          alter column credential_type set default 'unspecified';
    """,
}


def test_create_table_as_select_star_has_the_columns_it_copies(
    make_db: Any, tmp_path: Path
) -> None:
    """`create table x as select * from y` has y's columns; the static reading made one
    column `?column?`, refused the next statement (`column store_id … does not exist`) and
    init --sql wrote a requirement for `?column?` that FAILed the database (false FAILs,
    hashicorp/boundary). The `*` is expanded as for a view (the types stay DEFERRED)."""
    found = _static_spec_on_database(make_db, tmp_path, "trial14_table_as_star", TABLE_AS_STAR)
    failing = [i for i, status in found.items() if status == "FAIL" and not i.startswith("rules.")]
    assert failing == [], failing
    assert found["tables.credential_vault_library.columns.store_id"] == "PASS"
