"""Static reading through PL/pgSQL ``DO`` blocks, and deferral that never hides a regression (issue 13).

A ``DO`` block is interpreted with PostgreSQL's own PL/pgSQL parser; what stays undecidable
defers only the object kinds it could touch, on the objects it could name, and only until a
later plain statement settles them again.
"""

from __future__ import annotations

import json
from pathlib import Path

from cli_runner import run_cli

from schema_audit.api import audit_model
from schema_audit.sources.sqlfile import load_sql
from schema_audit.spec.load import load_spec

ROOT = Path(__file__).resolve().parent.parent


def _cli(tmp_path: Path, spec_text: str, sql: str, *args: str) -> tuple[int, dict, str]:
    """Run ``audit --sql`` on ``sql`` against ``spec_text``; (exit code, JSON document, stderr)."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text)
    migrations = tmp_path / "migrations"
    migrations.mkdir(exist_ok=True)
    (migrations / "0001_init.sql").write_text(sql)
    proc = run_cli(
        "audit",
        "-s",
        str(spec),
        "-f",
        "json",
        "--sql",
        str(migrations),
        *args,
        env={"SCHEMA_AUDIT_CACHE": "0"},
        timeout=120,
    )
    doc = json.loads(proc.stdout) if proc.stdout.strip() else {}
    return proc.returncode, doc, proc.stderr


def _status(doc: dict) -> dict[str, str]:
    return {f["id"]: f["status"] for f in doc.get("findings", [])}


def _audit(tmp_path: Path, spec_text: str, sql: str, rules: bool = True):  # type: ignore[no-untyped-def]
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(spec_text)
    folder = tmp_path / "m"
    folder.mkdir(exist_ok=True)
    (folder / "0001_init.sql").write_text(sql)
    spec = load_spec(spec_file)
    model = load_sql(folder)
    return audit_model(spec, model, "sql", rules=None if rules else "none"), model


FK_SPEC = """
name: t
tables:
  orgs: {}
  projects:
    columns:
      org_id: {references: orgs(id), on_delete: CASCADE}
"""

FK_REGRESSION = """
CREATE TABLE orgs (id uuid PRIMARY KEY);
CREATE TABLE projects (id uuid PRIMARY KEY, org_id uuid NOT NULL REFERENCES orgs ON DELETE CASCADE);
DO $$ BEGIN EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', 'projects'); END $$;
ALTER TABLE projects DROP CONSTRAINT projects_org_id_fkey;
ALTER TABLE projects ADD CONSTRAINT projects_org_id_fkey FOREIGN KEY (org_id) REFERENCES orgs (id);
"""


def test_a_regression_after_a_do_block_fails_statically(tmp_path: Path) -> None:
    """The issue's first reproducer: exit 1, the foreign key FAILs (it was a false PASS, exit 0)."""
    code, doc, err = _cli(tmp_path, FK_SPEC, FK_REGRESSION)
    assert code == 1, err
    assert _status(doc)["tables.projects.foreign_keys.org_id"] == "FAIL"
    # the block was applied: RLS on projects is known, so the rule pack has no uncertainty either
    assert doc["summary"]["DEFERRED"] == 0


def test_a_column_dropped_inside_a_do_block_is_gone(tmp_path: Path) -> None:
    spec = "name: t\ntables:\n  t:\n    columns:\n      legacy: {type: integer}\n"
    sql = "CREATE TABLE t (id int PRIMARY KEY, legacy int);\nDO $$ BEGIN ALTER TABLE t DROP COLUMN legacy; END $$;\n"
    code, doc, err = _cli(tmp_path, spec, sql)
    assert code == 1, err
    assert _status(doc)["tables.t.columns.legacy"] == "FAIL"


def test_a_table_created_only_inside_a_do_block_is_read(tmp_path: Path) -> None:
    spec = "name: t\ntables:\n  jobs:\n    columns:\n      id: {type: integer}\n"
    sql = "DO $$ BEGIN CREATE TABLE IF NOT EXISTS jobs (id int PRIMARY KEY); END $$;\n"
    code, doc, err = _cli(tmp_path, spec, sql, "--rules", "none")
    assert "internal error" not in err
    assert code == 0, err
    assert _status(doc) == {"tables.jobs": "PASS", "tables.jobs.columns.id": "PASS"}


UNDECIDABLE_TABLE = """
DO $$ BEGIN
  IF current_setting('server_version_num')::int >= 150000 THEN
    CREATE TABLE jobs (id int PRIMARY KEY, payload jsonb);
  END IF;
END $$;
"""


def test_a_deferred_table_defers_its_columns_and_indexes_and_never_crashes(tmp_path: Path) -> None:
    """A table only an undecidable DO block creates, or one an unapplied statement names: no
    internal error (it was an AssertionError, exit 2); the table and everything on it DEFERRED."""
    spec = (
        "name: t\ntables:\n  jobs:\n    columns:\n      id: {type: integer}\n"
        "      payload: {type: jsonb}\n    indexes:\n      - columns: [payload]\n"
        "    rls: {enabled: true}\n"
    )
    code, doc, err = _cli(tmp_path, spec, UNDECIDABLE_TABLE, "--rules", "none")
    assert "internal error" not in err and code == 0, err
    assert set(_status(doc).values()) == {"DEFERRED"}
    assert len(doc["findings"]) == 5
    # golang-migrate's own table, altered by the history but created by the tool
    spec = "name: t\ntables:\n  schema_migrations:\n    columns:\n      applied_at: {type: timestamptz}\n"
    sql = "ALTER TABLE schema_migrations ADD COLUMN applied_at timestamptz;\n"
    code, doc, err = _cli(tmp_path, spec, sql, "--rules", "none")
    assert "internal error" not in err and code == 0, err
    assert _status(doc) == {
        "tables.schema_migrations": "DEFERRED",
        "tables.schema_migrations.columns.applied_at": "DEFERRED",
    }


# A guard the static reader cannot decide: the block's code is not run, only weighed.
GUARD = "current_setting('server_version_num')::int >= 150000"


def test_undecidable_code_defers_only_the_kinds_it_names_and_only_until_settled(
    tmp_path: Path,
) -> None:
    """Kind-aware and order-aware: RLS code cannot hide a foreign key; a foreign key the
    block may add by name is settled again by a later DROP/ADD of that name."""
    base = (
        "CREATE TABLE orgs (id uuid PRIMARY KEY);\n"
        "CREATE TABLE projects (id uuid PRIMARY KEY, org_id uuid NOT NULL REFERENCES orgs ON DELETE CASCADE);\n"
    )
    regression = (
        "ALTER TABLE projects DROP CONSTRAINT projects_org_id_fkey;\n"
        "ALTER TABLE projects ADD CONSTRAINT projects_org_id_fkey FOREIGN KEY (org_id) REFERENCES orgs (id);\n"
    )
    rls_only = f"DO $$ BEGIN IF {GUARD} THEN ALTER TABLE projects ENABLE ROW LEVEL SECURITY; END IF; END $$;\n"
    result, model = _audit(tmp_path, FK_SPEC, base + rls_only + regression, rules=False)
    assert result.finding("tables.projects.foreign_keys.org_id").status == "FAIL"
    assert len(model.blind_spots) == 1 and "not applied" in model.blind_spots[0]
    named_fk = (
        f"DO $$ BEGIN IF {GUARD} THEN ALTER TABLE projects ADD CONSTRAINT projects_org_id_fkey "
        "FOREIGN KEY (org_id) REFERENCES orgs ON DELETE CASCADE; END IF; END $$;\n"
    )
    # before the regression is settled again, the block may have changed the foreign key
    result, _ = _audit(tmp_path, FK_SPEC, base + named_fk, rules=False)
    fk = result.finding("tables.projects.foreign_keys.org_id")
    assert fk.status == "DEFERRED" and "static reading says PASS" in fk.message
    # the plain DROP/ADD of the same name after it settles it: the regression FAILs
    result, model = _audit(tmp_path, FK_SPEC, base + named_fk + regression, rules=False)
    assert result.finding("tables.projects.foreign_keys.org_id").status == "FAIL"
    assert any("settled again" in s for u in model.unapplied for s in u.settled)
    # a foreign key under a name the block computes cannot be settled by a name
    unnamed = (
        f"DO $$ DECLARE n text := 'fk_' || md5(random()::text); BEGIN IF {GUARD} THEN EXECUTE format("
        "'ALTER TABLE projects ADD CONSTRAINT %I FOREIGN KEY (org_id) REFERENCES orgs ON DELETE CASCADE', n);"
        " END IF; END $$;\n"
    )
    result, _ = _audit(tmp_path, FK_SPEC, base + unnamed + regression, rules=False)
    assert result.finding("tables.projects.foreign_keys.org_id").status == "DEFERRED"


def test_a_pass_becomes_deferred_when_undecidable_code_may_change_it(tmp_path: Path) -> None:
    spec = "name: t\ntables:\n  t:\n    columns:\n      legacy: {type: integer}\n      id: {type: integer}\n"
    sql = (
        "CREATE TABLE t (id int PRIMARY KEY, legacy int);\n"
        f"DO $$ BEGIN IF {GUARD} THEN ALTER TABLE t DROP COLUMN legacy; END IF; END $$;\n"
    )
    code, doc, err = _cli(tmp_path, spec, sql, "--rules", "none")
    assert code == 0, err
    statuses = _status(doc)
    # a dropped column takes indexes and constraints with it: everything on t is open
    assert statuses["tables.t.columns.legacy"] == "DEFERRED"
    assert statuses["tables.t"] == "PASS"  # ALTER TABLE … DROP COLUMN cannot drop the table
    assert "DO block at migrations/0001_init.sql:2 not applied" in doc["blind_spots"][0]
    assert "current_setting" in doc["blind_spots"][0]


def test_no_rule_fail_contradicts_a_deferred_spec_finding(tmp_path: Path) -> None:
    """The rule pack obeys the same uncertainty: RLS the block may enable is not reported
    missing (SEC006) while the spec's RLS finding on the same table is DEFERRED."""
    spec = (
        "name: t\nsettings: {tenant_column: tenant_id}\ntables:\n"
        "  docs:\n    rls: {enabled: true}\n  notes:\n    rls: {enabled: true}\n"
    )
    sql = (
        "CREATE TABLE docs (id int PRIMARY KEY, tenant_id int NOT NULL);\n"
        "CREATE TABLE notes (id int PRIMARY KEY, tenant_id int NOT NULL);\n"
        "CREATE POLICY p ON docs USING (tenant_id = 1);\n"
        f"DO $$ BEGIN IF {GUARD} THEN ALTER TABLE docs ENABLE ROW LEVEL SECURITY; END IF; END $$;\n"
    )
    result, _ = _audit(tmp_path, spec, sql)
    by_id = {f.id: f for f in result.findings}
    assert by_id["tables.docs.rls"].status == "DEFERRED"
    assert by_id["rules.SEC006.public.docs"].status == "DEFERRED"
    assert by_id["rules.SEC002.public.docs"].status == "DEFERRED"
    # notes is out of the block's reach: its FAILs stand
    assert by_id["tables.notes.rls"].status == "FAIL"
    assert by_id["rules.SEC006.public.notes"].status == "FAIL"
    # the invariant, over every finding: no rule FAIL on an object whose spec finding is DEFERRED
    deferred_tables = {
        f.table for f in result.findings if f.kind != "rule" and f.status == "DEFERRED"
    }
    assert not [
        f.id
        for f in result.findings
        if f.kind == "rule" and f.status == "FAIL" and f.table in deferred_tables
    ]


FIXTURES = ROOT / "tests" / "fixtures"


def _live_model(pg_server, folder: Path):  # type: ignore[no-untyped-def]
    """The catalog after running the folder's files in order on a fresh database."""
    import psycopg
    from test_static_equals_live import live

    from schema_audit.sources.sqlfile import order_sql_files

    name, dsn = pg_server.create_database("dohist")
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            for file in order_sql_files(folder)[0]:
                conn.execute(file.read_text())
        return live.introspect(dsn)
    finally:
        pg_server.drop_database(name)


def test_drizzle_history_reads_statically_as_postgresql_builds_it(pg_server) -> None:  # type: ignore[no-untyped-def]
    """DO-wrapped enums and foreign keys with EXCEPTION WHEN duplicate_object, statement
    breakpoints: the enums and foreign keys are in the static model, and a block that runs
    again is absorbed by its handler exactly as in PostgreSQL (first definition wins)."""
    from test_static_equals_live import assert_same

    folder = FIXTURES / "drizzle_history"
    static = load_sql(folder)
    assert_same(_live_model(pg_server, folder), static)
    assert static.unapplied == [] and static.blind_spots == []
    assert static.enums["public.member_role"].labels == ["owner", "admin", "member"]
    assert static.enums["public.post_status"].labels == ["draft", "published", "archived"]
    posts_fk = static.tables["public.posts"].foreign_keys["posts_account_id_accounts_id_fk"]
    assert posts_fk.on_delete == "CASCADE"  # the second, NO ACTION, definition was a duplicate
    assert static.tables["public.comments"].foreign_keys[
        "comments_account_id_accounts_id_fk"
    ].on_delete == ("SET NULL")
    blocks = static.dynamic_blocks
    assert len(blocks) == 7 and all(b.applied for b in blocks)
    assert [len(b.skipped) for b in blocks] == [0, 0, 0, 1, 0, 0, 1]
    assert "duplicate_object handled by WHEN duplicate_object" in blocks[3].skipped[0]


def test_supabase_history_reads_statically_as_postgresql_builds_it(
    pg_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Idempotent role creation, IF NOT EXISTS (… pg_policies …), a FOREACH … EXECUTE format()
    RLS loop and a FOR loop over pg_tables: the same model as the database, 0 DEFERRED,
    0 blind spots; `inspect` lists each DO block with the statements it ran."""
    from test_static_equals_live import assert_same

    folder = FIXTURES / "supabase_history"
    static = load_sql(folder)
    assert_same(_live_model(pg_server, folder), static)
    assert static.unapplied == [] and static.blind_spots == []
    for name in ("profiles", "projects", "tasks"):
        table = static.tables[f"public.{name}"]
        assert table.rls_enabled and table.rls_forced, name
        assert f"{name}_tenant" in table.policies
        assert {g.privilege for g in table.grants if g.grantee == "sb_authenticated"} == {
            "SELECT",
            "INSERT",
            "UPDATE",
            "DELETE",
        }
    assert static.tables["public.profiles"].policies["profiles_read_own"].command == "SELECT"
    assert {"sb_anon", "sb_authenticated"} <= set(static.roles)
    assert static.roles["sb_anon"].inherit is False  # the first CREATE ROLE, not the re-run
    spec = "name: t\ntables:\n" + "".join(
        f"  {t}:\n    rls: {{enabled: true, forced: true}}\n    policies:\n"
        f"      - name: {t}_tenant\n        using: tenant_id = current_setting('app.tenant_id')::uuid\n"
        for t in ("profiles", "projects", "tasks")
    )
    code, doc, err = _cli_folder(tmp_path, spec, folder)
    assert code == 0, err
    assert doc["summary"]["DEFERRED"] == 0 and doc["summary"]["FAIL"] == 0
    assert doc["blind_spots"] == []
    proc = run_cli("inspect", "--sql", str(folder), env={"SCHEMA_AUDIT_CACHE": "0"}, timeout=120)
    blocks = json.loads(proc.stdout)["model"]["dynamic_blocks"]
    loop = blocks[1]
    assert (loop["file"], loop["line"], loop["applied"]) == (
        "supabase_history/20240102000000_rls.sql",
        2,
        True,
    )
    assert loop["executed"][:2] == [
        "ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.profiles TO sb_authenticated",
    ]
    assert len(loop["executed"]) == 9


def _cli_folder(tmp_path: Path, spec_text: str, folder: Path) -> tuple[int, dict, str]:
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text)
    proc = run_cli(
        "audit",
        "-s",
        str(spec),
        "-f",
        "json",
        "--sql",
        str(folder),
        "--rules",
        "none",
        env={"SCHEMA_AUDIT_CACHE": "0"},
        timeout=120,
    )
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}, proc.stderr


def test_an_unrenderable_alembic_revision_affects_what_its_op_calls_name() -> None:
    """Read from the Python syntax tree: a comment saying "table def" names nothing (it used to
    yield public.def), op.create_table("user") is found (it used to be missed)."""
    from schema_audit.sources.effects import python_effects

    source = (
        "# the table def below is legacy\n"
        "def upgrade():\n"
        '    op.create_table("user", sa.Column("id", sa.Integer))\n'
        '    op.add_column("orders", sa.Column("note", sa.Text))\n'
        '    op.execute("ALTER TABLE orders ENABLE ROW LEVEL SECURITY")\n'
    )
    got = {(e.kind, e.target, e.name) for e in python_effects(source)}
    assert got == {
        ("*", 'public."user"', "*"),
        ("column", "public.orders", "*"),
        ("rls", "public.orders", "enabled"),
    }
    # a connection the tree cannot follow: anything
    assert ("*", "*", "*") in {
        (e.kind, e.target, e.name)
        for e in python_effects("def upgrade():\n    op.get_bind().execute(sql)\n")
    }


def test_a_waiver_of_a_deferred_finding_is_deferred_not_stale(tmp_path: Path) -> None:
    """A waiver whose findings are all DEFERRED is not "matches only passing findings": the
    deviation it waives may still be there once the DO block is settled."""
    spec = (
        "name: t\ntables:\n  t:\n    columns:\n      legacy: {type: integer}\n"
        "waivers:\n  - requirement: tables.t.columns.legacy\n    reason: legacy goes later\n"
    )
    sql = (
        "CREATE TABLE t (id int PRIMARY KEY, legacy int);\n"
        f"DO $$ BEGIN IF {GUARD} THEN ALTER TABLE t DROP COLUMN legacy; END IF; END $$;\n"
    )
    code, doc, err = _cli(tmp_path, spec, sql, "--rules", "none")
    statuses = _status(doc)
    assert statuses["tables.t.columns.legacy"] == "DEFERRED"
    assert statuses["waivers.0"] == "DEFERRED", statuses
    assert code == 0, err


# Prisma style: a migration that seeds a row only when it is missing. Its condition reads a
# table's rows, which a static reading never knows, so the block stops there.
SEED_SPEC = """
name: t
tables:
  User:
    columns:
      id: {type: integer, nullable: false}
      email: {type: text, nullable: false}
  Envelope:
    columns:
      id: {type: text, nullable: false}
"""

SEED_HISTORY = """
CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM "public"."User" WHERE "email" = 'deleted@example.com') THEN
    {branch}
  END IF;
END $$;
CREATE TABLE "Envelope" ("id" TEXT NOT NULL, CONSTRAINT "Envelope_pkey" PRIMARY KEY ("id"));
"""

SEED_ROW = """INSERT INTO "public"."User" ("email") VALUES ('deleted@example.com');"""


def test_a_stopped_do_block_that_only_seeds_rows_defers_nothing(tmp_path: Path) -> None:
    """Data-only code left in a stopped block changes no schema: the audit judges everything.

    Seen on a real Prisma history (164 migrations): one such block made all 1,173 findings
    of the static audit DEFERRED, tables created after it included.
    """
    _, doc, _ = _cli(tmp_path, SEED_SPEC, SEED_HISTORY.replace("{branch}", SEED_ROW))
    statuses = _status(doc)
    assert statuses["tables.Envelope.columns.id"] == "PASS"
    assert statuses["tables.User.columns.email"] == "PASS"
    assert "DEFERRED" not in statuses.values(), statuses
    blind = doc["unapplied_statements"]
    assert [s["kind"] for s in blind] == ["data"], blind  # still listed as not applied


def test_a_seeding_do_block_reads_statically_as_postgresql_builds_it(
    pg_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The schema after a stopped data-only block is the one PostgreSQL builds (ground truth)."""
    from test_static_equals_live import assert_same

    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_init.sql").write_text(SEED_HISTORY.replace("{branch}", SEED_ROW))
    static = load_sql(folder)
    assert_same(_live_model(pg_server, folder), static)
    assert [u.kind for u in static.unapplied] == ["data"]


def test_a_stopped_do_block_that_may_raise_or_change_the_schema_still_defers(
    tmp_path: Path,
) -> None:
    """An error would abort the migration; EXECUTE and a PERFORMed function may run DDL."""
    for branch in (
        SEED_ROW + " RAISE EXCEPTION 'no deleted user';",
        SEED_ROW + " ASSERT false;",
        SEED_ROW + """ PERFORM create_hypertable('"User"', 'id');""",
        SEED_ROW + """ EXECUTE 'ALTER TABLE "User" ALTER COLUMN email DROP NOT NULL';""",
        """ALTER TABLE "User" ALTER COLUMN email DROP NOT NULL;""",
    ):
        _, doc, _ = _cli(tmp_path, SEED_SPEC, SEED_HISTORY.replace("{branch}", branch))
        statuses = _status(doc)
        assert statuses["tables.User.columns.email"] == "DEFERRED", (branch, statuses)


GUARD_SPEC = """
name: t
tables:
  ApiKey:
    columns:
      id: {type: text, nullable: false}
  ApiKeyEnvironment:
    columns:
      apiKeyId: {type: text, nullable: false}
"""

# formbricks style: a migration refuses to run on data it cannot convert
GUARD_HISTORY = """
CREATE TABLE "ApiKey" ("id" TEXT NOT NULL, CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id"));
DO $$
BEGIN
  IF (SELECT COUNT(*) FROM "ApiKey") != 0 THEN
    RAISE EXCEPTION 'Migration aborted: % API keys exist; delete them first', (SELECT COUNT(*) FROM "ApiKey");
  END IF;
END $$;
CREATE TABLE "ApiKeyEnvironment" ("apiKeyId" TEXT NOT NULL);
"""


def test_a_guard_do_block_that_can_only_raise_defers_nothing(tmp_path: Path) -> None:
    """A guard stops the static reader (it counts rows) but can only abort the migration:
    the audit judges a history that ran past it. Before, its RAISE kept every later finding
    DEFERRED (a real Prisma history: 1 PASS, 1,350 DEFERRED)."""
    _, doc, _ = _cli(tmp_path, GUARD_SPEC, GUARD_HISTORY)
    statuses = _status(doc)
    assert statuses["tables.ApiKeyEnvironment.columns.apiKeyId"] == "PASS"
    assert "DEFERRED" not in statuses.values(), statuses
    [blind] = doc["unapplied_statements"]  # still listed as not applied, and why
    assert blind["kind"] == "data" and "a guard that can only raise" in blind["reason"]


def test_a_guard_do_block_reads_statically_as_postgresql_builds_it(
    pg_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from test_static_equals_live import assert_same

    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_init.sql").write_text(GUARD_HISTORY)
    static = load_sql(folder)
    assert_same(_live_model(pg_server, folder), static)


def test_a_stopped_guard_that_may_do_more_than_raise_still_defers(tmp_path: Path) -> None:
    """A user function in the condition, a PERFORM, a row change or dynamic SQL beside the
    RAISE may change the schema (or the block is more than a guard): it keeps deferring."""
    for condition, extra in (
        ('(SELECT "countKeys"())', ""),
        ('(SELECT COUNT(*) FROM "ApiKey")', " PERFORM pg_sleep(0);"),
        ('(SELECT COUNT(*) FROM "ApiKey")', """ DELETE FROM "ApiKey";"""),
        (
            '(SELECT COUNT(*) FROM "ApiKey")',
            """ EXECUTE 'ALTER TABLE "ApiKey" ALTER id DROP NOT NULL';""",
        ),
        (
            '(WITH d AS (DELETE FROM "ApiKey" RETURNING 1) SELECT COUNT(*) FROM d)',
            "",
        ),
    ):
        history = GUARD_HISTORY.replace('(SELECT COUNT(*) FROM "ApiKey") != 0', f"{condition} != 0")
        history = history.replace("END IF;\nEND $$;", f"END IF;{extra}\nEND $$;")
        _, doc, _ = _cli(tmp_path, GUARD_SPEC, history)
        statuses = _status(doc)
        assert statuses["tables.ApiKey.columns.id"] == "DEFERRED", (
            condition,
            extra,
            statuses,
        )
