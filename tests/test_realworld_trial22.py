"""Findings of trial22 on real Alembic histories, each reproduced in a fixture written here.

PrefectHQ/prefect ships its alembic.ini inside the package it migrates
(``prefect/server/database/alembic.ini``, ``script_location =
prefect:server:database:_migrations``), and its revisions import the package's own column
types. Alembic resolves such a location with ``importlib.resources``: the first token is the
package, each later one a folder. The reading looked for the package only under the ini's
folder and prepend_sys_path (``.``, the package's own folder), and took everything after the
first colon as ONE folder name (``server:database:_migrations``): exit 2, "package … not
found", nothing read (written in that project's style, not copied).

Its ``_migrations/versions`` holds one subfolder per dialect (``postgresql/``, ``sqlite/``, the
same revision ids in each); env.py picks one at run time. Alembic reads only the top level of a
version location unless ``recursive_version_locations = true`` (``Script._list_py_dir``); the
reading took every ``*.py`` below it, so the SQLite revisions were read with the PostgreSQL
ones, and a revision in a subfolder Alembic never runs was applied (a false PASS of its table).

Many of its revisions change the schema with ``op.*`` calls, then migrate rows through
``op.get_bind()`` (``meta_data.reflect(connection)``), which cannot run offline. The whole
upgrade() was then read from its syntax tree, which does not know the project's column types
(``prefect.server.utilities.database.Timestamp()``): the ``create_table`` rendering had already
written was lost, the next ``create_index`` on it was refused ("relation … does not exist"), and
the reading stopped the run there as if PostgreSQL had refused it: every later revision's
object DEFERRED (115 of prefect's 116 revisions' tables).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from cli_runner import run_cli

INI = """[alembic]
script_location = orchestra:server:database:_migrations
prepend_sys_path = .
file_template = %%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s
"""

REVISION = '''"""Create flow runs

Revision ID: 3a1f0c2b9d10
Revises:
Create Date: 2024-03-01 10:00:00

"""
import sqlalchemy as sa
from alembic import op

import orchestra
from orchestra.server.utilities.database import Timestamp

revision = "3a1f0c2b9d10"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "flow_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("start_time", Timestamp(), nullable=True),
    )


def downgrade():
    op.drop_table("flow_run")
'''


def _orchestra(tmp_path: Path) -> Path:
    """src/orchestra/server/database/alembic.ini, its scripts in _migrations beside it."""
    package = tmp_path / "src" / "orchestra"
    database = package / "server" / "database"
    versions = database / "_migrations" / "versions"
    versions.mkdir(parents=True)
    for folder in (package, package / "server", database):
        (folder / "__init__.py").write_text("")
    utilities = package / "server" / "utilities"
    utilities.mkdir()
    (utilities / "__init__.py").write_text("")
    (utilities / "database.py").write_text(
        "import sqlalchemy as sa\n\n\n"
        "class Timestamp(sa.types.TypeDecorator):\n"
        "    impl = sa.TIMESTAMP(timezone=True)\n"
        "    cache_ok = True\n"
    )
    (database / "alembic.ini").write_text(INI)
    (database / "_migrations" / "env.py").write_text("from alembic import context\n")
    (versions / "2024_03_01_3a1f0c2b9d10_create_flow_runs.py").write_text(REVISION)
    return database / "alembic.ini"


def test_a_package_script_location_is_found_from_an_ini_inside_the_package(
    tmp_path: Path,
) -> None:
    proc = run_cli("inspect", "-m", _orchestra(tmp_path))
    assert proc.returncode == 0, proc.stderr
    tables = json.loads(proc.stdout)["model"]["tables"]
    column = tables["public.flow_run"]["columns"]["start_time"]
    assert column["type"] == "timestamp with time zone"


def _revision(rev: str, down: str | None, table: str) -> str:
    return (
        f'"""Create {table}\n\nRevision ID: {rev}\n"""\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f"revision = {rev!r}\ndown_revision = {down!r}\n\n\n"
        f"def upgrade():\n    op.create_table({table!r}, sa.Column('id', sa.Integer()))\n\n\n"
        f"def downgrade():\n    op.drop_table({table!r})\n"
    )


def _dialect_folders(tmp_path: Path, recursive: str | None) -> Path:
    """versions/ with a revision at its top and one in versions/sqlite/ that follows it."""
    versions = tmp_path / "_migrations" / "versions"
    (versions / "sqlite").mkdir(parents=True)
    (tmp_path / "_migrations" / "env.py").write_text("from alembic import context\n")
    (versions / "2024_03_01_a1_flow_run.py").write_text(_revision("a1", None, "flow_run"))
    (versions / "sqlite" / "2024_03_02_b2_sqlite_only.py").write_text(
        _revision("b2", "a1", "sqlite_only")
    )
    ini = "[alembic]\nscript_location = %(here)s/_migrations\n"
    if recursive is not None:
        ini += f"recursive_version_locations = {recursive}\n"
    (tmp_path / "alembic.ini").write_text(ini)
    return tmp_path / "alembic.ini"


def _alembic_runs(ini: Path) -> set[str]:
    """The revisions Alembic itself finds for ``upgrade head`` (its own listing, no mock)."""
    config = Config(str(ini))
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def test_a_subfolder_of_versions_is_not_read_unless_alembic_recurses(tmp_path: Path) -> None:
    ini = _dialect_folders(tmp_path, None)
    assert _alembic_runs(ini) == {"a1"}
    proc = run_cli("inspect", "-m", ini)
    assert proc.returncode == 0, proc.stderr
    tables = json.loads(proc.stdout)["model"]["tables"]
    assert sorted(tables) == ["public.flow_run"]
    # what is left unread is named, never silent
    assert "not-read" in proc.stderr
    assert "sqlite" in proc.stderr


def test_recursive_version_locations_reads_the_subfolders(tmp_path: Path) -> None:
    ini = _dialect_folders(tmp_path, "true")
    assert _alembic_runs(ini) == {"a1", "b2"}
    proc = run_cli("inspect", "-m", ini)
    assert proc.returncode == 0, proc.stderr
    tables = json.loads(proc.stdout)["model"]["tables"]
    assert sorted(tables) == ["public.flow_run", "public.sqlite_only"]


def test_a_versions_folder_holding_only_dialect_subfolders_names_them(tmp_path: Path) -> None:
    ini = _dialect_folders(tmp_path, None)
    versions = tmp_path / "_migrations" / "versions"
    (versions / "postgresql").mkdir()
    (versions / "2024_03_01_a1_flow_run.py").rename(
        versions / "postgresql" / "2024_03_01_a1_flow_run.py"
    )
    proc = run_cli("inspect", "-m", ini)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "postgresql" in proc.stderr and "sqlite" in proc.stderr
    assert "recursive_version_locations" in proc.stderr


MIGRATION = '''"""Create block type and backfill it

Revision ID: 5b0e1c9d2a77
Revises: 3a1f0c2b9d10
"""
import sqlalchemy as sa
from alembic import op

import orchestra
from orchestra.server.utilities.database import Timestamp

revision = "5b0e1c9d2a77"
down_revision = "3a1f0c2b9d10"


def upgrade():
    op.create_table(
        "block_type",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("updated", Timestamp(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
    )
    op.create_index(op.f("ix_block_type__updated"), "block_type", ["updated"], unique=False)

    # Backfill a block type for each existing flow run
    connection = op.get_bind()
    meta_data = sa.MetaData()
    meta_data.reflect(connection)
    BLOCK_TYPE = meta_data.tables["block_type"]
    for (name,) in connection.execute(sa.select(BLOCK_TYPE.c.name)):
        connection.execute(sa.insert(BLOCK_TYPE).values(name=name))
    op.add_column("flow_run", sa.Column("block_type_id", sa.Integer(), nullable=True))


def downgrade():
    op.drop_column("flow_run", "block_type_id")
    op.drop_table("block_type")
'''

LATER = _revision("7c2d4e6f8a90", "5b0e1c9d2a77", "work_pool")


def test_what_rendered_before_a_connection_read_is_kept(tmp_path: Path) -> None:
    ini = _orchestra(tmp_path)
    versions = ini.parent / "_migrations" / "versions"
    (versions / "2024_03_02_5b0e1c9d2a77_block_type.py").write_text(MIGRATION)
    (versions / "2024_03_03_7c2d4e6f8a90_work_pool.py").write_text(LATER)
    proc = run_cli("inspect", "--allow-unrendered", "-m", ini)
    assert proc.returncode == 0, proc.stderr
    model = json.loads(proc.stdout)["model"]
    tables = model["tables"]
    # rendered by Alembic before the connection was needed: exact, with the project's type
    block_type = tables["public.block_type"]
    assert block_type["columns"]["updated"]["type"] == "timestamp with time zone"
    assert "ix_block_type__updated" in block_type["indexes"]
    # after it, the literal op.* call is read from the syntax tree
    assert "block_type_id" in tables["public.flow_run"]["columns"]
    # the next revision is applied: nothing stopped the run
    assert "public.work_pool" in tables
    assert not [u for u in model["unapplied"] if u["kind"] == "error"]
    # what could not be read is still named, with its line
    assert "reflect" in proc.stderr


ASKS_OFFLINE = '''"""Create agent

Revision ID: 9d8e7f6a5b4c
Revises:
"""
import sqlalchemy as sa
from alembic import context, op

revision = "9d8e7f6a5b4c"
down_revision = None


def upgrade():
    op.create_table("agent", sa.Column("id", sa.Integer(), primary_key=True))
    if context.is_offline_mode():
        return
    op.add_column("agent", sa.Column("last_activity", sa.Integer()))
'''


def test_a_revision_not_rendered_keeps_what_its_tree_reads_before_the_question(
    tmp_path: Path,
) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "9d8e7f6a5b4c_agent.py").write_text(ASKS_OFFLINE)
    proc = run_cli("inspect", "--allow-unrendered", "-m", versions)
    assert proc.returncode == 0, proc.stderr
    tables = json.loads(proc.stdout)["model"]["tables"]
    assert "public.agent" in tables


WORK_QUEUE = '''"""Work queues belong to a work pool

Revision ID: 4e5f6a7b8c9d
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "4e5f6a7b8c9d"
down_revision = None


def upgrade():
    op.create_table(
        "work_queue",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("work_pool_id", sa.Integer(), nullable=True),
        sa.UniqueConstraint("name", name="uq_work_queue__name"),
    )
    with op.batch_alter_table("work_queue", schema=None) as batch_op:
        batch_op.drop_constraint("uq_work_queue__name")
        batch_op.create_unique_constraint(
            op.f("uq_work_queue__work_pool_id_name"), ["work_pool_id", "name"]
        )
'''


def test_a_batch_drop_constraint_read_from_the_tree_is_alembics(tmp_path: Path) -> None:
    """batch_op.drop_constraint(name) is op.drop_constraint(name, table): read from the syntax
    tree (--no-exec, or a revision that cannot be rendered) it dropped a constraint named after
    the table from a table named after the constraint. Ground truth: Alembic's own rendering."""
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "4e5f6a7b8c9d_work_queue.py").write_text(WORK_QUEUE)
    models = []
    for options in ((), ("--no-exec",)):
        proc = run_cli("inspect", *options, "-m", versions)
        assert proc.returncode == 0, proc.stderr
        models.append(json.loads(proc.stdout)["model"])
    rendered, read = (m["tables"]["public.work_queue"]["uniques"] for m in models)
    assert sorted(rendered) == ["uq_work_queue__work_pool_id_name"]
    assert sorted(read) == sorted(rendered)
    assert models[1]["unapplied"] == []


NAMED_ENV = """import sqlalchemy as sa
from alembic import context

NAMING_CONVENTION = {
    "uq": "uq_%(table_name)s__%(column_0_N_name)s",
    "ck": "ck_%(table_name)s__%(constraint_name)s",
}
target_metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
config = context.config

if context.is_offline_mode():
    context.configure(url="postgresql://", target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
"""

POOL = '''"""Create pool

Revision ID: 1f2e3d4c5b6a
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "1f2e3d4c5b6a"
down_revision = None


def upgrade():
    op.create_table(
        "pool",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.UniqueConstraint("name"),
    )
    op.create_check_constraint("positive", "pool", "id > 0")
'''


def test_constraint_names_follow_env_metadata_naming_convention(tmp_path: Path) -> None:
    """PrefectHQ/prefect's env.py passes ``target_metadata`` whose MetaData has a
    naming_convention; Alembic builds every op's constraint with it, so
    ``op.create_check_constraint("ck_block_document_reference__no_self_reference", …)`` is
    ``ck_block_document_reference__ck_block_document_referenc_824f`` in the database prefect's
    upgrade made (PostgreSQL 15). The reading rendered without it: the name as written, and an
    unnamed UNIQUE PostgreSQL's ``pool_name_key``. Ground truth: Alembic's own offline run
    through that env.py (the same names its online run gives)."""
    (tmp_path / "versions").mkdir()
    (tmp_path / "env.py").write_text(NAMED_ENV)
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s\n")
    (tmp_path / "versions" / "1f2e3d4c5b6a_pool.py").write_text(POOL)
    alembic = subprocess.run(
        [
            sys.executable,
            "-m",
            "alembic",
            "-c",
            str(tmp_path / "alembic.ini"),
            "upgrade",
            "head",
            "--sql",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "CONSTRAINT uq_pool__name UNIQUE" in alembic.stdout
    assert "CONSTRAINT ck_pool__positive CHECK" in alembic.stdout
    proc = run_cli("inspect", "-m", tmp_path / "alembic.ini")
    assert proc.returncode == 0, proc.stderr
    pool = json.loads(proc.stdout)["model"]["tables"]["public.pool"]
    assert sorted(pool["uniques"]) == ["uq_pool__name"]
    assert sorted(pool["checks"]) == ["ck_pool__positive"]


GUARDED_DROP = '''"""Drop a constraint that may be gone

Revision ID: 6a7b8c9d0e1f
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "6a7b8c9d0e1f"
down_revision = None


def upgrade():
    op.create_table(
        "deployment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=True),
    )
    op.drop_constraint("uq_deployment__name", "deployment", type_="unique", if_exists=True)
    op.create_index("ix_deployment__name", "deployment", ["name"], unique=False)
'''


def test_drop_constraint_if_exists_read_from_the_tree_is_alembics(tmp_path: Path) -> None:
    """``op.drop_constraint(…, if_exists=True)`` renders ``DROP CONSTRAINT IF EXISTS``; read
    from the syntax tree the guard was dropped, the statement refused, the revision's table
    "perhaps rolled back" and its index missing. Ground truth: Alembic's own rendering."""
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "6a7b8c9d0e1f_guarded_drop.py").write_text(GUARDED_DROP)
    models = []
    for options in ((), ("--no-exec",)):
        proc = run_cli("inspect", *options, "-m", versions)
        assert proc.returncode == 0, proc.stderr
        models.append(json.loads(proc.stdout)["model"])
    rendered, read = (m["tables"]["public.deployment"]["indexes"] for m in models)
    assert sorted(rendered) == ["deployment_pkey", "ix_deployment__name"]
    assert sorted(read) == sorted(rendered)
    assert models[1]["unapplied"] == []


DIALECT_REVISION = '''"""Create task run

Revision ID: 8e9f0a1b2c3d
Revises:
"""
import sqlalchemy as sa
from alembic import op

import orchestra

revision = "8e9f0a1b2c3d"
down_revision = None


def upgrade():
    op.create_table(
        "task_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("end_time", orchestra.server.utilities.database.Timestamp(), nullable=True),
    )
'''


def test_a_dialect_folder_of_versions_is_read_with_its_env(tmp_path: Path) -> None:
    """The folder the not-read warning points at (``versions/postgresql``, which prefect's
    env.py picks at run time) is read with the project it belongs to: env.py two levels up
    (its imports make ``orchestra.server.utilities.database`` an attribute a revision reaches
    through ``import orchestra``) and the package root above it."""
    ini = _orchestra(tmp_path)
    migrations = ini.parent / "_migrations"
    (migrations / "env.py").write_text(
        "from alembic import context\n\nfrom orchestra.server.utilities.database import Timestamp\n"
    )
    versions = migrations / "versions"
    (versions / "2024_03_01_3a1f0c2b9d10_create_flow_runs.py").unlink()
    (versions / "postgresql").mkdir()
    (versions / "postgresql" / "2024_03_04_8e9f0a1b2c3d_task_run.py").write_text(DIALECT_REVISION)
    proc = run_cli("inspect", "-m", versions / "postgresql")
    assert proc.returncode == 0, proc.stderr
    tables = json.loads(proc.stdout)["model"]["tables"]
    assert tables["public.task_run"]["columns"]["end_time"]["type"] == "timestamp with time zone"
