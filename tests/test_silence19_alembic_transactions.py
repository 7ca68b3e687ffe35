"""A revision PostgreSQL refuses undoes Alembic's transaction, and the run stops there.

Online on PostgreSQL, ``alembic upgrade`` runs the revisions of one run in one transaction
(env.py's ``with context.begin_transaction()``), or each in its own with
``transaction_per_migration=True``. ``op.create_index(…, postgresql_concurrently=True)``
outside ``with op.get_context().autocommit_block():`` is refused there ("CREATE INDEX
CONCURRENTLY cannot run inside a transaction block"), as is any statement PostgreSQL refuses
(an INSERT into a missing table): the transaction is rolled back and no later revision runs.
The static reading rendered offline without transactions and applied every statement on its
own: the revision's table, the index and every later revision PASSed (checked here against
Alembic itself on PostgreSQL 15).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_runner import run_cli

from schema_audit.sources import live
from schema_audit.sources.alembic import load_alembic
from schema_audit.sources.dburl import sqlalchemy_url

ENV_PY = """import os
from alembic import context
from sqlalchemy import create_engine


def run_migrations_online():
    engine = create_engine(os.environ["SILENCE19_URL"])
    with engine.connect() as connection:
        context.configure(connection=connection{options})
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
"""

REVISION = '''"""{name}

Revision ID: {rev}
Revises: {down}
"""
from alembic import op
import sqlalchemy as sa

revision = '{rev}'
down_revision = {down_repr}


def upgrade():
{body}
'''

INDEX = "    op.create_index('b_id', 'b', ['id'], postgresql_concurrently=True)"
IN_BLOCK = (
    "    with op.get_context().autocommit_block():\n"
    "        op.create_index('b_id', 'b', ['id'], postgresql_concurrently=True)\n"
    "    op.execute('CREATE TABLE b2 (id int)')"
)
MISSING = "    op.execute('INSERT INTO missing VALUES (1)')"


def _project(tmp_path: Path, second: str, options: str = "") -> Path:
    """a, then b and ``second`` (from line 15), then c: three revisions in Alembic's style."""
    project = tmp_path / "migrations"
    (project / "versions").mkdir(parents=True)
    (project / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s\n")
    (project / "env.py").write_text(ENV_PY.format(options=options))
    bodies = [
        ("aa01", None, "    op.create_table('a', sa.Column('id', sa.Integer()))"),
        ("bb02", "aa01", "    op.create_table('b', sa.Column('id', sa.Integer()))\n" + second),
        ("cc03", "bb02", "    op.create_table('c', sa.Column('id', sa.Integer()))"),
    ]
    for rev, down, body in bodies:
        (project / "versions" / f"{rev}.py").write_text(
            REVISION.format(name=rev, rev=rev, down=down or "", down_repr=repr(down), body=body)
        )
    return project


def _online(project: Path, dsn: str) -> tuple[set[str], set[str]]:
    """``alembic upgrade heads`` on PostgreSQL: the tables and indexes it leaves."""
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "heads"],
        cwd=project,
        env={**os.environ, "SILENCE19_URL": sqlalchemy_url(dsn)},
        capture_output=True,
    )
    catalog = live.introspect(dsn)
    tables = {t for t in catalog.tables if t != "public.alembic_version"}
    indexes = {i for t in tables for i in catalog.tables[t].indexes}
    return tables, indexes


def _statuses(tmp_path: Path, project: Path) -> dict[str, str]:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: t\ntables:\n  a: {}\n  b:\n    indexes: [{name: b_id, columns: [id]}]\n  c: {}\n"
    )
    proc = run_cli("audit", "-f", "json", "-s", spec, "-m", project)
    return {f["id"]: f["status"] for f in json.loads(proc.stdout)["findings"]}


@pytest.mark.parametrize(
    ("options", "online", "wanted"),
    [
        # one transaction for the run: nothing stays; a perhaps in a database upgraded in
        # an earlier run (DEFERRED), b refused for sure (FAIL), c never run (DEFERRED)
        ("", set(), {"tables.a": "DEFERRED", "tables.b": "FAIL", "tables.c": "DEFERRED"}),
        (
            ", transaction_per_migration=True",
            {"public.a"},
            {"tables.a": "PASS", "tables.b": "FAIL", "tables.c": "DEFERRED"},
        ),
    ],
    ids=["one-transaction", "per-migration"],
)
def test_a_concurrent_index_outside_an_autocommit_block_undoes_and_stops(
    make_db: Any, tmp_path: Path, options: str, online: set[str], wanted: dict[str, str]
) -> None:
    project = _project(tmp_path, INDEX, options)
    tables, indexes = _online(project, make_db("silence19_cic"))
    assert (tables, indexes) == (online, set())
    static = load_alembic(project)
    assert sorted(static.tables) == sorted(online | {"public.a"})  # a: kept, perhaps undone
    refused = [(u.file, u.line) for u in static.unapplied if u.kind == "error"]
    assert refused == [("migrations/versions/bb02.py", 15)]
    assert any(s.startswith("alembic stops at the migration") for s in static.blind_spots)
    assert {k: v for k, v in _statuses(tmp_path, project).items() if k in wanted} == wanted


def test_an_autocommit_block_runs_the_index_outside_the_transaction(
    make_db: Any, tmp_path: Path
) -> None:
    """Inside ``autocommit_block()`` the index runs (Alembic commits before it and begins
    again after it): everything stays, online and statically."""
    project = _project(tmp_path, IN_BLOCK)
    tables, indexes = _online(project, make_db("silence19_block"))
    assert (tables, indexes) == ({"public.a", "public.b", "public.b2", "public.c"}, {"b_id"})
    static = load_alembic(project)
    assert set(static.tables) == tables
    assert list(static.tables["public.b"].indexes) == ["b_id"]
    assert static.unapplied == [] and static.blind_spots == []


@pytest.mark.parametrize(
    ("options", "online", "wanted_a"),
    [("", set(), "DEFERRED"), (", transaction_per_migration=True", {"public.a"}, "PASS")],
    ids=["one-transaction", "per-migration"],
)
def test_a_refusal_the_reading_knows_undoes_the_revision_and_stops(
    make_db: Any, tmp_path: Path, options: str, online: set[str], wanted_a: str
) -> None:
    """An INSERT into a table no revision makes: PostgreSQL refuses it, Alembic rolls the
    transaction back (b with it) and stops (c never made); b and c PASSed."""
    project = _project(tmp_path, MISSING, options)
    tables, _ = _online(project, make_db("silence19_missing"))
    assert tables == online
    statuses = _statuses(tmp_path, project)
    wanted = {"tables.a": wanted_a, "tables.b": "DEFERRED", "tables.c": "DEFERRED"}
    assert {k: v for k, v in statuses.items() if k in wanted} == wanted


def test_a_commented_out_option_is_not_one(make_db: Any, tmp_path: Path) -> None:
    """``# transaction_per_migration=True`` in env.py is a comment: Alembic runs the run in
    one transaction (nothing stays online), so a stays open (DEFERRED), not PASS."""
    project = _project(tmp_path, MISSING)
    env = project / "env.py"
    env.write_text(env.read_text() + "# context.configure(transaction_per_migration=True)\n")
    tables, _ = _online(project, make_db("silence19_comment"))
    assert tables == set()
    statuses = _statuses(tmp_path, project)
    assert statuses["tables.a"] == "DEFERRED"


def _add_offline_configure(project: Path, options: str) -> None:
    """Give env.py the template's ``run_migrations_offline`` (``alembic upgrade --sql``),
    configured with ``options``, before its online run."""
    env = project / "env.py"
    offline = (
        "\n\ndef run_migrations_offline():\n"
        f"    context.configure({options})\n"
        "    with context.begin_transaction():\n"
        "        context.run_migrations()\n"
    )
    text = env.read_text().replace("\n\nrun_migrations_online()\n", offline)
    env.write_text(text + "\n\nrun_migrations_online()\n")


def test_an_option_of_the_offline_configure_only_is_not_the_runs(
    make_db: Any, tmp_path: Path
) -> None:
    """``transaction_per_migration=True`` passed only by ``run_migrations_offline``'s
    configure (``alembic upgrade --sql``) does not change the online run: Alembic runs it in
    one transaction, the refusal rolls a back (nothing stays), so a stays open (DEFERRED);
    it PASSed (review21)."""
    project = _project(tmp_path, MISSING)
    _add_offline_configure(project, "url='postgresql://', transaction_per_migration=True")
    tables, _ = _online(project, make_db("silence19_offline_option"))
    assert tables == set()
    statuses = _statuses(tmp_path, project)
    assert statuses["tables.a"] == "DEFERRED"


def test_an_online_option_holds_whatever_the_offline_configure_says(
    make_db: Any, tmp_path: Path
) -> None:
    """``transaction_per_migration=True`` in the online configure, none in the offline one
    (``alembic upgrade --sql`` only): the online run is per revision, a stays (PASS)."""
    project = _project(tmp_path, MISSING, ", transaction_per_migration=True")
    _add_offline_configure(project, "url='postgresql://'")
    tables, _ = _online(project, make_db("silence19_online_option"))
    assert tables == {"public.a"}
    statuses = _statuses(tmp_path, project)
    assert statuses["tables.a"] == "PASS"


def test_an_option_of_one_online_branch_only_is_not_the_runs(make_db: Any, tmp_path: Path) -> None:
    """env.py configures per revision in one branch only: the reading cannot tell which
    branch a run takes, and the other is one transaction for the run (here the one taken:
    nothing stays), so a stays open (DEFERRED)."""
    project = _project(tmp_path, MISSING)
    env = project / "env.py"
    branches = (
        'if os.environ.get("SILENCE19_PER_REVISION"):\n'
        "            context.configure(connection=connection, transaction_per_migration=True)\n"
        "        else:\n"
        "            context.configure(connection=connection)"
    )
    env.write_text(env.read_text().replace("context.configure(connection=connection)", branches))
    tables, _ = _online(project, make_db("silence19_branch_option"))
    assert tables == set()
    statuses = _statuses(tmp_path, project)
    assert statuses["tables.a"] == "DEFERRED"
