"""Real-world trial (nineteenth session, trial18): Alembic histories as projects write them.

Fixtures are written here in each project's style; no project file is copied. Each test
compares the static reading with what PostgreSQL holds after the same history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
from cli_runner import run_cli

ALEMBIC_INI = """[alembic]
script_location = %(here)s
prepend_sys_path = .
"""

ENV_PY = """from alembic import context

config = context.config


def run_migrations_offline():
    context.configure(url="postgresql://localhost/x", literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
"""

# privacyidea's form (Flask-Migrate, v3.12 "Add option column to radiusserver table"): the
# revision asks Alembic's `context` proxy for the dialect before choosing the operation.
PRIVACYIDEA_REVISIONS = {
    "aa01_radius.py": '''"""v1: radiusserver table

Revision ID: aa01
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = 'aa01'
down_revision = None


def upgrade():
    op.create_table('radiusserver',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('identifier', sa.Unicode(255), nullable=False),
                    sa.PrimaryKeyConstraint('id'))


def downgrade():
    op.drop_table('radiusserver')
''',
    "bb02_options.py": '''"""v2: Add option column to radiusserver table

Revision ID: bb02
Revises: aa01
"""
from alembic import op, context
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError, ProgrammingError

revision = 'bb02'
down_revision = 'aa01'


def upgrade():
    try:
        if context.get_context().dialect.name == "oracle":
            op.add_column("radiusserver", sa.Column("options", sa.Text(), nullable=True))
        else:
            with op.batch_alter_table("radiusserver", schema=None) as batch_op:
                batch_op.add_column(sa.Column('options', sa.JSON(), nullable=True))
    except (OperationalError, ProgrammingError) as exx:
        print("Could not add column 'options' to 'radiusserver'.")
        print(exx)


def downgrade():
    with op.batch_alter_table('radiusserver', schema=None) as batch_op:
        batch_op.drop_column('options')
''',
}

# What an online `alembic upgrade head` runs on PostgreSQL for the two revisions.
PRIVACYIDEA_SQL = """
CREATE TABLE radiusserver (id SERIAL NOT NULL, identifier VARCHAR(255) NOT NULL, PRIMARY KEY (id));
ALTER TABLE radiusserver ADD COLUMN options JSON;
"""


def _project(tmp_path: Path, revisions: dict[str, str]) -> Path:
    project = tmp_path / "migrations"
    (project / "versions").mkdir(parents=True)
    (project / "alembic.ini").write_text(ALEMBIC_INI)
    (project / "env.py").write_text(ENV_PY)
    for name, text in revisions.items():
        (project / "versions" / name).write_text(text)
    return project


def test_alembic_context_proxy_answers_as_under_upgrade_sql(make_db: Any, tmp_path: Path) -> None:
    """`from alembic import context; context.get_context()` inside upgrade() works under
    `alembic upgrade --sql` (env.py's EnvironmentContext is installed as the proxy); the
    tool's rendering did not install it, so the revision raised NameError ("the proxy object
    has not yet been established"), was read from its syntax tree (0 statements: the try block
    is a blind spot) and `init`/`audit` exited 2 (privacyidea: 4 revisions). Now it renders as
    Alembic renders it, and the static audit agrees with PostgreSQL's catalog."""
    project = _project(tmp_path, PRIVACYIDEA_REVISIONS)
    dsn = make_db("trial18_context", PRIVACYIDEA_SQL)
    live_spec = tmp_path / "live.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", live_spec).returncode == 0
    proc = run_cli("audit", "-s", live_spec, "-m", project, "-f", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    statuses = {f["id"]: f["status"] for f in findings}
    assert statuses["tables.radiusserver.columns.options"] == "PASS"
    # the owners alone stay undecided (a history does not say which role runs it)
    assert all(
        f["status"] == "PASS" or (f["status"] == "DEFERRED" and "owner" in f["message"])
        for f in findings
    ), [f for f in findings if f["status"] != "PASS"]


# privacyidea's data migrations (and many a Flask-Migrate revision) print what they did.
PRINTING_REVISION = {
    "cc03_tokeninfo.py": '''"""v3: migrate the token information

Revision ID: cc03
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = 'cc03'
down_revision = None


def upgrade():
    print("----------------------------------")
    print("Migrating the Token information...")
    op.create_table('tokeninfo',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('Key', sa.Unicode(255), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    print("----------------------------------")


def downgrade():
    op.drop_table('tokeninfo')
''',
}


def test_a_revisions_print_does_not_reach_stdout(tmp_path: Path) -> None:
    """A revision's print() went to the tool's stdout while it rendered, before the report:
    `inspect -m` and `audit -f json` wrote text ahead of the JSON document (not JSON any
    more; privacyidea: 11 lines). It goes to stderr now, where the user still sees it."""
    project = _project(tmp_path, PRINTING_REVISION)
    proc = run_cli("inspect", "-m", project)
    assert proc.returncode == 0, proc.stderr
    model = json.loads(proc.stdout)["model"]
    assert "public.tokeninfo" in model["tables"]
    assert "Migrating the Token information..." in proc.stderr
    spec = tmp_path / "spec.yaml"
    assert run_cli("init", "-m", project, "-o", spec).returncode == 0
    audit = run_cli("audit", "-s", spec, "-m", project, "-f", "json")
    assert json.loads(audit.stdout)["findings"]


# pypi/warehouse's form ("add gin trigram index on users.username"): the revision commits
# Alembic's transaction through the connection, then builds the index CONCURRENTLY in an
# autocommit block.
WAREHOUSE_REVISIONS = {
    "a1_users.py": '''"""users

Revision ID: a1
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "a1"
down_revision = None


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.Text(), nullable=False),
    )


def downgrade():
    op.drop_table("users")
''',
    "b2_trgm.py": '''"""add gin trigram index on users.username

Revision ID: b2
Revises: a1
"""
import sqlalchemy as sa
from alembic import op

revision = "b2"
down_revision = "a1"


def upgrade():
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction. Commit the
    # migration's transaction and issue the statement in an autocommit block.
    op.get_bind().commit()

    with op.get_context().autocommit_block():
        op.execute(sa.text("SET statement_timeout = 120000"))
        op.create_index(
            "idx_users_username_trgm",
            "users",
            ["username"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"username": "gin_trgm_ops"},
            postgresql_concurrently=True,
        )


def downgrade():
    op.drop_index("idx_users_username_trgm", table_name="users")
''',
}


def test_a_revision_committing_through_the_connection_renders(make_db: Any, tmp_path: Path) -> None:
    """`op.get_bind().commit()` before an autocommit block (warehouse: 9 of 288 revisions)
    raised AttributeError offline (SQLAlchemy's MockConnection has no commit), so the
    revision was read from its syntax tree with 0 statements: the CONCURRENTLY index was
    missing from the model and `init`/`audit` exited 2. Offline the commit is a no-op now;
    the static audit agrees with PostgreSQL's catalog after the same history online."""
    project = _project(tmp_path, WAREHOUSE_REVISIONS)
    dsn = make_db(
        "trial18_commit",
        "CREATE EXTENSION IF NOT EXISTS pg_trgm;"
        " CREATE TABLE users (id SERIAL NOT NULL, username TEXT NOT NULL, PRIMARY KEY (id));",
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE INDEX CONCURRENTLY idx_users_username_trgm ON users"
            " USING gin (username gin_trgm_ops)"
        )
    live_spec = tmp_path / "live.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", live_spec).returncode == 0
    proc = run_cli("audit", "-s", live_spec, "-m", project, "-f", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    statuses = {f["id"]: f["status"] for f in findings}
    assert statuses["tables.users.indexes.idx_users_username_trgm"] == "PASS"
    # undecided by design: the owners and the extension's version (the server's default)
    assert all(
        f["status"] == "PASS"
        or (f["status"] == "DEFERRED" and ("owner" in f["message"] or "version" in f["message"]))
        for f in findings
    ), [f for f in findings if f["status"] != "PASS"]


# omnivore-app/omnivore's form (postgrator, packages/db/migrations): `<version>.do.<name>.sql`
# applied in numeric version order, each with a `<version>.undo.<name>.sql` downgrade.
POSTGRATOR = {
    "1.do.init_schema_role_users.sql": """
        BEGIN;
        CREATE SCHEMA omnivore;
        CREATE TABLE omnivore.user (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            email text NOT NULL UNIQUE
        );
        COMMIT;
    """,
    "1.undo.init_schema_role_users.sql": """
        BEGIN;
        DROP TABLE omnivore.user;
        DROP SCHEMA omnivore;
        COMMIT;
    """,
    "2.do.articles.sql": """
        BEGIN;
        CREATE TABLE omnivore.article (id uuid PRIMARY KEY, title text NOT NULL);
        COMMIT;
    """,
    "2.undo.articles.sql": "BEGIN; DROP TABLE omnivore.article; COMMIT;",
    "10.do.article_user.sql": """
        BEGIN;
        ALTER TABLE omnivore.article ADD COLUMN user_id uuid REFERENCES omnivore.user (id);
        COMMIT;
    """,
    "10.undo.article_user.sql": "ALTER TABLE omnivore.article DROP COLUMN user_id;",
}


def test_postgrator_layout_is_read(make_db: Any, tmp_path: Path) -> None:
    """postgrator's `1.do.x.sql` / `1.undo.x.sql` pairs were each a "duplicate-version"
    error (exit 2, omnivore: 188 of them) and the undo files would have been applied as
    migrations. The do files are applied in numeric version order now (10 after 2), the undo
    files never; the static audit agrees with PostgreSQL after the do files."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, text in POSTGRATOR.items():
        (folder / name).write_text(text)
    applied = [POSTGRATOR[n] for n in ("1.do.init_schema_role_users.sql", "2.do.articles.sql")]
    dsn = make_db("trial18_postgrator", "".join(applied))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(POSTGRATOR["10.do.article_user.sql"])
    live_spec = tmp_path / "live.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", live_spec).returncode == 0
    proc = run_cli("audit", "-s", live_spec, "--sql", folder, "-f", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "duplicate-version" not in proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    statuses = {f["id"]: f["status"] for f in findings}
    assert statuses["tables.omnivore.article.columns.user_id"] == "PASS"
    assert not [f for f in findings if f["status"] == "FAIL"]
    static_spec = tmp_path / "static.yaml"
    init = run_cli("init", "--sql", folder, "-o", static_spec)
    assert init.returncode == 0, init.stderr
    assert "postgrator" in init.stdout + init.stderr
    # a JavaScript migration is code this tool does not run: named, never skipped silently
    (folder / "11.do.seed.js").write_text("module.exports.generateSql = () => 'SELECT 1'\n")
    named = run_cli("audit", "-s", live_spec, "--sql", folder)
    assert named.returncode == 1
    assert "11.do.seed.js: a postgrator JavaScript migration" in named.stdout


def test_runner_table_stated_two_levels_up_of_a_relative_folder(tmp_path: Path) -> None:
    """The runner's table name is looked for in the SQL folder, its parent and its parent's
    parent; a relative `--sql migrations` made the parent `.` and the grandparent `.` again,
    so a `schemaTable:` two levels up was never found (the default name was taken instead,
    and the finding named the script as `/migrate.ts`). The folder is resolved first now."""
    root = tmp_path / "packages"
    folder = root / "db" / "migrations"
    folder.mkdir(parents=True)
    (folder / "1.do.init.sql").write_text("CREATE TABLE account (id int PRIMARY KEY);\n")
    (folder / "1.undo.init.sql").write_text("DROP TABLE account;\n")
    (root / "migrate.ts").write_text(
        "const postgrator = new Postgrator({\n  schemaTable: 'omnivore_versions',\n})\n"
    )
    proc = run_cli("inspect", "--sql", "migrations", cwd=root / "db")
    assert proc.returncode == 0, proc.stderr
    runner = [u for u in json.loads(proc.stdout)["model"]["unapplied"] if u["kind"] == "runner"]
    assert "public.omnivore_versions" in runner[0]["sql"], runner
    assert "packages/migrate.ts" in runner[0]["reason"], runner


# review19's case: the revision does less under `alembic upgrade --sql` than online.
OFFLINE_BRANCH = {
    "aa01_t.py": '''"""t

Revision ID: aa01
Revises:
"""
from alembic import op, context
import sqlalchemy as sa

revision = 'aa01'
down_revision = None


def upgrade():
    op.create_table('t', sa.Column('id', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    if context.is_offline_mode():
        print("-- run the rest of aa01 online")
        return
    op.add_column('t', sa.Column('extra', sa.Integer(), nullable=True))


def downgrade():
    op.drop_table('t')
''',
}


def test_is_offline_mode_is_not_answered(make_db: Any, tmp_path: Path) -> None:
    """With the proxy installed, `context.is_offline_mode()` answered True, so a revision
    that returns early offline was rendered without what it adds online: `init -m`'s spec
    PASSed the history while the online-migrated database has `t.extra` (review19, a false
    PASS and a silence). It is not answered: the revision is read from its syntax tree, the
    branch a blind spot naming its line, and nothing passes on it."""
    project = _project(tmp_path, OFFLINE_BRANCH)
    dsn = make_db(
        "trial18_offline",
        "CREATE TABLE t (id SERIAL NOT NULL, PRIMARY KEY (id)); ALTER TABLE t ADD COLUMN extra INTEGER;",
    )
    spec = tmp_path / "static.yaml"
    init = run_cli("init", "-m", project, "-o", spec)
    assert init.returncode == 2 and not spec.exists(), init.stderr
    assert "is_offline_mode" in init.stderr
    live_spec = tmp_path / "live.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", live_spec).returncode == 0
    proc = run_cli("audit", "-s", live_spec, "-m", project, "-f", "json")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "line 16" in proc.stdout + proc.stderr


def test_as_sql_is_a_question_too(make_db: Any, tmp_path: Path) -> None:
    """The same question asked as `context.get_context().as_sql` (or `op.get_context().as_sql`,
    older) rendered the offline branch without a word (review19 on 1f6e7a3: a false PASS):
    a revision asking either way is read from its syntax tree, the question a blind spot."""
    for asked in ("context.get_context().as_sql", "op.get_context().as_sql"):
        text = OFFLINE_BRANCH["aa01_t.py"].replace("context.is_offline_mode()", asked)
        project = _project(tmp_path / asked.split(".")[0], {"aa01_t.py": text})
        spec = tmp_path / f"{asked.split('.')[0]}.yaml"
        init = run_cli("init", "-m", project, "-o", spec)
        assert init.returncode == 2 and not spec.exists(), (asked, init.stderr)
        assert "line 16" in init.stderr, init.stderr
