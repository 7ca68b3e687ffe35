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
"""

from __future__ import annotations

import json
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
