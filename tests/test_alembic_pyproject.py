"""Alembic >= 1.16 reads its [alembic] options from pyproject.toml's [tool.alembic].

``alembic init --template pyproject`` keeps script_location and recursive_version_locations
there (alembic.ini keeps only sqlalchemy.url and logging); with date-based subfolders
(versions/2024/01/..., the template's suggested file_template) ``alembic upgrade heads`` runs
every revision, while the reading took recursive_version_locations from the ini only: "no
Alembic revision files found", exit 2 (review22). Fixture written here in the template's style.
"""

from __future__ import annotations

import json
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from cli_runner import run_cli

PYPROJECT = """[project]
name = "shop"

[tool.alembic]
script_location = "%(here)s/alembic"
recursive_version_locations = true
"""

INI = """[alembic]
sqlalchemy.url = postgresql+psycopg://localhost/shop

[loggers]
keys = root
"""


def _revision(rev: str, down: str | None, table: str) -> str:
    return (
        f'"""{table}\n\nRevision ID: {rev}\n"""\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f"revision = {rev!r}\ndown_revision = {down!r}\n\n\n"
        f"def upgrade():\n    op.create_table({table!r}, sa.Column('id', sa.Integer()))\n\n\n"
        f"def downgrade():\n    op.drop_table({table!r})\n"
    )


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "alembic.ini").write_text(INI)
    versions = tmp_path / "alembic" / "versions"
    (versions / "2024" / "01").mkdir(parents=True)
    (versions / "2025" / "03").mkdir(parents=True)
    (tmp_path / "alembic" / "env.py").write_text("from alembic import context\n")
    (versions / "2024" / "01" / "15_1200_aa01_first.py").write_text(_revision("aa01", None, "t1"))
    (versions / "2025" / "03" / "02_0900_bb02_second.py").write_text(
        _revision("bb02", "aa01", "t2")
    )
    return tmp_path / "alembic.ini"


def test_pyproject_recursive_version_locations_reads_the_subfolders(tmp_path: Path) -> None:
    ini = _project(tmp_path)
    config = Config(str(ini), toml_file=str(tmp_path / "pyproject.toml"))
    runs = {s.revision for s in ScriptDirectory.from_config(config).walk_revisions()}
    assert runs == {"aa01", "bb02"}  # Alembic itself runs both
    for target in (ini, tmp_path / "alembic"):
        proc = run_cli("inspect", "-m", target)
        assert proc.returncode == 0, proc.stderr
        tables = json.loads(proc.stdout)["model"]["tables"]
        assert sorted(tables) == ["public.t1", "public.t2"]


def test_pyproject_script_location_and_version_locations_are_read(tmp_path: Path) -> None:
    """script_location and version_locations (a TOML list) only in [tool.alembic]."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.alembic]\nscript_location = "%(here)s/migrations"\n'
        'version_locations = ["%(here)s/migrations/versions", "%(here)s/extra"]\n'
    )
    (tmp_path / "alembic.ini").write_text(INI)
    (tmp_path / "migrations" / "versions").mkdir(parents=True)
    (tmp_path / "extra").mkdir()
    (tmp_path / "migrations" / "env.py").write_text("from alembic import context\n")
    (tmp_path / "migrations" / "versions" / "aa01_first.py").write_text(
        _revision("aa01", None, "t1")
    )
    (tmp_path / "extra" / "bb02_second.py").write_text(_revision("bb02", "aa01", "t2"))
    ini = tmp_path / "alembic.ini"
    config = Config(str(ini), toml_file=str(tmp_path / "pyproject.toml"))
    runs = {s.revision for s in ScriptDirectory.from_config(config).walk_revisions()}
    assert runs == {"aa01", "bb02"}
    proc = run_cli("inspect", "-m", ini)
    assert proc.returncode == 0, proc.stderr
    tables = json.loads(proc.stdout)["model"]["tables"]
    assert sorted(tables) == ["public.t1", "public.t2"]
