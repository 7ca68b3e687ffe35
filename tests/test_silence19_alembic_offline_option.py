"""A revision asking Alembic's ``as_sql`` option by its name is asking whether it runs offline.

``op.get_context().opts["as_sql"]`` (or ``.opts.get("as_sql")``) is True under
``alembic upgrade --sql``, the rendering the static reading uses, and False online: a revision
returning early on it was rendered without what it adds online (the column ``extra`` below:
a false PASS of a spec without it, no word of the branch). As for ``is_offline_mode()``
(CHANGELOG "alembic-offline-question-not-rendered"), the revision is read from its syntax
tree and the question is a blind spot naming its line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cli_runner import run_cli

REVISION = '''"""t

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
    if {asked}:
        return
    op.add_column('t', sa.Column('extra', sa.Integer(), nullable=True))
'''


@pytest.mark.parametrize(
    "asked",
    [
        'op.get_context().opts["as_sql"]',
        'op.get_context().opts.get("as_sql")',
        'context.get_context().opts.get("as_sql", False)',
    ],
    ids=["subscript", "get", "get-default"],
)
def test_the_as_sql_option_is_not_answered(make_db: Any, tmp_path: Path, asked: str) -> None:
    project = tmp_path / "migrations"
    (project / "versions").mkdir(parents=True)
    (project / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s\n")
    (project / "env.py").write_text("from alembic import context\n")
    (project / "versions" / "aa01_t.py").write_text(REVISION.format(asked=asked))
    spec = tmp_path / "static.yaml"
    init = run_cli("init", "-m", project, "-o", spec)
    assert init.returncode == 2 and not spec.exists(), init.stderr
    assert "aa01_t.py:16" in init.stderr, init.stderr
    # the database `alembic upgrade` made online (the branch not taken: extra added)
    dsn = make_db(
        "silence19_as_sql",
        "CREATE TABLE t (id SERIAL NOT NULL, PRIMARY KEY (id)); ALTER TABLE t ADD COLUMN extra int;",
    )
    live_spec = tmp_path / "live.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", live_spec).returncode == 0
    proc = run_cli("audit", "-s", live_spec, "-m", project, "-f", "json")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "line 16" in proc.stdout + proc.stderr
