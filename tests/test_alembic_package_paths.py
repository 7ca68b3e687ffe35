"""A migrations folder inside a package is read with the package importable, stdlib unshadowed.

pypi/warehouse keeps its Alembic scripts in ``warehouse/migrations`` (no alembic.ini there:
its own command line configures Alembic) and has a module ``warehouse/logging.py``. The
reading guessed the folder and its parent as sys.path entries, put before the standard
library, so importing alembic found ``warehouse/logging.py`` for ``logging`` and stopped on
``logging.config``: an internal error, exit 2, for the whole history; and a revision's
``import warehouse`` could not work. Python itself never uses a package's folder as a
sys.path entry: the folder above the outermost package is the one (written in that
project's style, not copied).
"""

from __future__ import annotations

import json
from pathlib import Path

from cli_runner import run_cli

REVISION = '''"""create projects

Revision ID: aa01
Revises:
"""
from alembic import op
import sqlalchemy as sa

from shop.db.types import ProjectName

revision = "aa01"
down_revision = None


def upgrade():
    op.create_table("projects", sa.Column("name", ProjectName(), nullable=False))
'''


def _shop(tmp_path: Path) -> Path:
    package = tmp_path / "shop"
    (package / "db").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "db" / "__init__.py").write_text("")
    (package / "db" / "types.py").write_text(
        "import sqlalchemy as sa\n\n\ndef ProjectName():\n    return sa.Text()\n"
    )
    # the project's own logging setup, named as the standard library's module
    (package / "logging.py").write_text("import logging.config\n")
    migrations = package / "migrations"
    (migrations / "versions").mkdir(parents=True)
    (migrations / "env.py").write_text("from alembic import context\n")
    (migrations / "versions" / "aa01_create_projects.py").write_text(REVISION)
    return migrations


def test_a_package_folder_is_not_a_sys_path_entry(tmp_path: Path) -> None:
    proc = run_cli("inspect", "-m", _shop(tmp_path))
    assert proc.returncode == 0, proc.stderr
    tables = json.loads(proc.stdout)["model"]["tables"]
    assert tables["public.projects"]["columns"]["name"]["type"] == "text"
