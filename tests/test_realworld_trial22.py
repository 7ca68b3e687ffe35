"""Findings of trial22 on real Alembic histories, each reproduced in a fixture written here.

PrefectHQ/prefect ships its alembic.ini inside the package it migrates
(``prefect/server/database/alembic.ini``, ``script_location =
prefect:server:database:_migrations``), and its revisions import the package's own column
types. Alembic resolves such a location with ``importlib.resources``: the first token is the
package, each later one a folder. The reading looked for the package only under the ini's
folder and prepend_sys_path (``.``, the package's own folder), and took everything after the
first colon as ONE folder name (``server:database:_migrations``): exit 2, "package … not
found", nothing read (written in that project's style, not copied).
"""

from __future__ import annotations

import json
from pathlib import Path

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
