"""``op.execute("COMMIT")`` in a revision: what runs after it depends on the DBAPI driver.

A common recipe ends Alembic's transaction by hand before ``CREATE INDEX CONCURRENTLY``::

    op.execute("COMMIT")
    op.create_index("b_id", "b", ["id"], postgresql_concurrently=True)

The server's transaction ends there with every driver. psycopg2 still believes it is in
one and sends no BEGIN before the next statement, so the index runs outside any
transaction block and is made. psycopg (3) asks libpq, finds the connection idle and
begins a new transaction: PostgreSQL refuses the index ("CREATE INDEX CONCURRENTLY cannot
run inside a transaction block") and Alembic stops (checked with Alembic 1.20, SQLAlchemy
2.1, psycopg 3.3 and psycopg2 2.9 on PostgreSQL 15). The static reading ran it as psycopg2
does: the index and every later revision PASSed whatever the driver. Which driver runs is
env.py's URL; where the reading cannot tell (an environment variable, a bare
``postgresql://``: SQLAlchemy 2.0 takes psycopg2, 2.1 psycopg), what the COMMIT leaves
open is DEFERRED.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_runner import run_cli
from test_silence19_alembic_transactions import _online as silence19_online
from test_silence19_alembic_transactions import _project as silence19_project
from test_silence19_alembic_transactions import _statuses as silence19_statuses

from schema_audit.sources.dburl import sqlalchemy_url

COMMIT_INDEX = (
    "    op.execute('COMMIT')\n"
    "    op.create_index('b_id', 'b', ['id'], postgresql_concurrently=True)"
)


def _project(tmp_path: Path, url: str, second: str = COMMIT_INDEX) -> Path:
    """silence19's a, b with ``second`` (from line 15), c; env.py connecting to ``url``
    (Python source: a literal, or an expression)."""
    project = silence19_project(tmp_path, second)
    env = project / "env.py"
    env.write_text(env.read_text().replace('os.environ["SILENCE19_URL"]', url))
    return project


def _online(project: Path, dsn: str) -> set[str]:
    """``alembic upgrade heads`` on PostgreSQL: the tables and indexes it leaves."""
    tables, indexes = silence19_online(project, dsn)
    return tables | indexes


def _refuse_in_c(project: Path) -> None:
    """End cc03's upgrade() with an INSERT PostgreSQL refuses (no table ``missing``)."""
    third = project / "versions" / "cc03.py"
    third.write_text(third.read_text() + "    op.execute('INSERT INTO missing VALUES (1)')\n")


WANTED = ["tables.a", "tables.b", "tables.b.indexes.b_id", "tables.c"]


def test_psycopg_begins_again_after_a_commit(make_db: Any, tmp_path: Path) -> None:
    """psycopg (3) named in env.py: the index is refused in the transaction psycopg begins
    after the COMMIT, the run stops; a and b were committed by the COMMIT."""
    dsn = make_db("alembic22_psycopg")
    project = _project(tmp_path, repr(sqlalchemy_url(dsn, "postgresql+psycopg")))
    assert _online(project, dsn) == {"public.a", "public.b"}
    statuses = silence19_statuses(tmp_path, project)
    assert [statuses.get(k) for k in WANTED] == ["PASS", "PASS", "FAIL", "DEFERRED"]


def test_psycopg2_runs_the_index_outside_a_transaction(make_db: Any, tmp_path: Path) -> None:
    """psycopg2 named in env.py: it sends no BEGIN after the COMMIT, the index is made and
    the run goes on (online where psycopg2 is installed)."""
    dsn = make_db("alembic22_psycopg2")
    project = _project(tmp_path, repr(sqlalchemy_url(dsn, "postgresql+psycopg2")))
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        pass
    else:
        assert _online(project, dsn) == {"public.a", "public.b", "b_id", "public.c"}
    statuses = silence19_statuses(tmp_path, project)
    assert [statuses.get(k) for k in WANTED] == ["PASS", "PASS", "PASS", "PASS"]


@pytest.mark.parametrize(
    "url",
    ['os.environ["SILENCE19_URL"]', "'postgresql://localhost/x'"],
    ids=["environment", "bare-scheme"],
)
def test_an_unknown_driver_defers_what_the_commit_leaves_open(
    make_db: Any, tmp_path: Path, url: str
) -> None:
    """env.py's driver not known (an environment variable: here psycopg's URL, the index
    refused; or a bare postgresql:// whose driver is SQLAlchemy's version's default): the
    index and the revisions after it are DEFERRED, never PASS; what the COMMIT committed
    PASSes. The blind spot names the COMMIT's file:line and env.py's."""
    dsn = make_db("alembic22_unknown")
    project = _project(tmp_path, url)
    if url.startswith("os."):
        assert _online(project, dsn) == {"public.a", "public.b"}
    statuses = silence19_statuses(tmp_path, project)
    assert [statuses.get(k) for k in WANTED] == ["PASS", "PASS", "DEFERRED", "DEFERRED"]
    from schema_audit.sources.alembic import load_alembic

    spots = [s for s in load_alembic(project).blind_spots if "COMMIT" in s]
    assert spots and "migrations/versions/bb02.py:15" in spots[0] and "env.py:7" in spots[0]


HELPER = "\n\ndef _make_index():\n    op.create_index('b_id', 'b', ['id'], postgresql_concurrently=True)\n"


@pytest.mark.parametrize(
    ("second", "online", "wanted"),
    [
        (
            "    with op.get_context().autocommit_block():\n        _make_index()",
            {"public.a", "public.b", "b_id", "public.c"},
            ["PASS", "PASS", "PASS", "PASS"],
        ),
        (  # the same helper called outside the block: refused there
            "    with op.get_context().autocommit_block():\n        pass\n    _make_index()",
            {"public.a", "public.b"},  # (the block committed them)
            ["PASS", "PASS", "FAIL", "DEFERRED"],
        ),
    ],
    ids=["called-in-the-block", "called-after-the-block"],
)
def test_a_helper_called_in_an_autocommit_block_runs_in_it(
    make_db: Any, tmp_path: Path, second: str, online: set[str], wanted: list[str]
) -> None:
    """``with op.get_context().autocommit_block(): _make_index()``: the block is open while
    the helper runs, so its concurrent index is made (Alembic on PostgreSQL 15); the
    statement carried the helper's lines, outside the block's, and was read as refused in
    the transaction (a false FAIL, and c DEFERRED). Called after the block, the same helper's
    index is refused in the transaction Alembic begins after the block (a and b committed)."""
    dsn = make_db("alembic22_helper")
    project = _project(tmp_path, 'os.environ["SILENCE19_URL"]', second)
    revision = project / "versions" / "bb02.py"
    revision.write_text(revision.read_text() + HELPER)
    assert _online(project, dsn) == online
    statuses = silence19_statuses(tmp_path, project)
    assert [statuses.get(k) for k in WANTED] == wanted


@pytest.mark.parametrize(
    "then",
    [
        "    op.execute('CREATE TABLE b2 (id int)')\n    op.execute('INSERT INTO missing VALUES (1)')",
        "    op.create_index('b_id', 'b', ['id'], postgresql_concurrently=True)",
    ],
    ids=["missing-table", "concurrent-index"],
)
def test_a_connection_commit_commits_the_run_so_far(
    make_db: Any, tmp_path: Path, then: str
) -> None:
    """``op.get_bind().commit()`` (a no-op while rendering offline) commits Alembic's
    transaction online, with psycopg and psycopg2 alike (SQLAlchemy begins a new one at the
    next statement): a later refusal leaves a and b, which were read as perhaps rolled back
    (DEFERRED); a concurrent index after it is refused whatever the driver."""
    dsn = make_db("alembic22_bind_commit")
    project = _project(
        tmp_path, 'os.environ["SILENCE19_URL"]', "    op.get_bind().commit()\n" + then
    )
    assert _online(project, dsn) == {"public.a", "public.b"}
    statuses = silence19_statuses(tmp_path, project)
    assert [statuses.get(k) for k in WANTED] == ["PASS", "PASS", "FAIL", "DEFERRED"]


def test_what_runs_after_an_autocommit_block_is_undone_by_a_later_refusal(
    make_db: Any, tmp_path: Path
) -> None:
    """After an autocommit block Alembic begins the run's transaction again: b2, made after
    the block, is rolled back by c's refused INSERT (one transaction for the run), while a,
    b and the index stay. b2 PASSed (kept for sure: the block was taken to commit its whole
    revision)."""
    dsn = make_db("alembic22_after_block")
    block = (
        "    with op.get_context().autocommit_block():\n"
        "        op.create_index('b_id', 'b', ['id'], postgresql_concurrently=True)\n"
        "    op.execute('CREATE TABLE b2 (id int)')"
    )
    project = _project(tmp_path, 'os.environ["SILENCE19_URL"]', block)
    _refuse_in_c(project)
    assert _online(project, dsn) == {"public.a", "public.b", "b_id"}
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: t\ntables:\n  a: {}\n  b:\n    indexes: [{name: b_id, columns: [id]}]\n"
        "  b2: {}\n  c: {}\n"
    )
    proc = run_cli("audit", "-f", "json", "-s", spec, "-m", project)
    statuses = {f["id"]: f["status"] for f in json.loads(proc.stdout)["findings"]}
    wanted = [*WANTED[:3], "tables.b2", "tables.c"]
    assert [statuses.get(k) for k in wanted] == ["PASS", "PASS", "PASS", "DEFERRED", "DEFERRED"]


def test_an_autocommit_block_is_read_from_the_syntax_tree(tmp_path: Path) -> None:
    """Read without running it (``--no-exec``), the autocommit block was a blind spot and
    the revision's objects DEFERRED; its literal op.* calls are read now, outside the
    transaction as Alembic runs them (the same as rendered: test_silence19's online run)."""
    block = (
        "    with op.get_context().autocommit_block():\n"
        "        op.create_index('b_id', 'b', ['id'], postgresql_concurrently=True)\n"
        "    op.execute('CREATE TABLE b2 (id int)')"
    )
    from schema_audit.sources.alembic import load_alembic

    project = _project(tmp_path, 'os.environ["SILENCE19_URL"]', block)
    static = load_alembic(project, execute=False)
    assert sorted(static.tables) == ["public.a", "public.b", "public.b2", "public.c"]
    assert list(static.tables["public.b"].indexes) == ["b_id"]
    assert not [u for u in static.unapplied if u.revision == "bb02"]


def test_an_unknown_driver_reads_what_follows_a_commit_as_perhaps_in_a_transaction(
    make_db: Any, tmp_path: Path
) -> None:
    """After ``op.execute("COMMIT")``, b2 and a refused INSERT: psycopg (3) runs them in the
    transaction it begins, which the refusal rolls back (b2 gone); psycopg2 runs them each on
    its own (b2 stays). With env.py's driver not known b2 PASSed, as psycopg2 keeps it; it is
    DEFERRED now, a and b (committed by the COMMIT) PASS."""
    dsn = make_db("alembic22_unknown_tx")
    then = "    op.execute('CREATE TABLE b2 (id int)')\n    op.execute('INSERT INTO missing VALUES (1)')"
    project = _project(tmp_path, 'os.environ["SILENCE19_URL"]', "    op.execute('COMMIT')\n" + then)
    assert _online(project, dsn) == {"public.a", "public.b"}
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: t\ntables:\n  a: {}\n  b: {}\n  b2: {}\n  c: {}\n")
    proc = run_cli("audit", "-f", "json", "-s", spec, "-m", project)
    statuses = {f["id"]: f["status"] for f in json.loads(proc.stdout)["findings"]}
    wanted = ["tables.a", "tables.b", "tables.b2", "tables.c"]
    assert [statuses.get(k) for k in wanted] == ["PASS", "PASS", "DEFERRED", "DEFERRED"]


@pytest.mark.parametrize(
    ("body", "online", "wanted"),
    [
        (
            "    with op.get_context().autocommit_block():\n"
            "        op.get_bind().commit()\n"
            "        op.create_index('b_id', 'b', ['id'], postgresql_concurrently=True)",
            {"public.a", "public.b", "b_id"},
            ["PASS", "PASS", "PASS"],  # (c: Alembic raises as the block ends; not followed)
        ),
        (
            "    op.get_bind().commit()\n"
            "    with op.get_context().autocommit_block():\n"
            "        op.create_index('b_id', 'b', ['id'], postgresql_concurrently=True)",
            {"public.a", "public.b", "b_id"},
            ["PASS", "PASS", "PASS", "DEFERRED"],
        ),
    ],
    ids=["commit-in-the-block", "commit-before-the-block"],
)
def test_a_connection_commit_and_an_autocommit_block(
    make_db: Any, tmp_path: Path, body: str, online: set[str], wanted: list[str]
) -> None:
    """``op.get_bind().commit()`` inside the block: the connection is in AUTOCOMMIT there,
    nothing begins, the index is made (read as COMMIT and BEGIN it was refused in a
    transaction: a false FAIL); Alembic then raises "This transaction is inactive" as the
    block ends. Before the block (pypi/warehouse's recipe) in a run that is one transaction:
    the commit ends Alembic's transaction for good, the block begins none after it, and what
    SQLAlchemy begins at the next statement (c, the version rows) is rolled back when
    env.py's connection closes: alembic exits 0, c is missing. c PASSed; it is DEFERRED now,
    what the commit and the block committed PASSes."""
    dsn = make_db("alembic22_bind_block")
    project = _project(tmp_path, 'os.environ["SILENCE19_URL"]', body)
    assert _online(project, dsn) == online
    statuses = silence19_statuses(tmp_path, project)
    assert [statuses.get(k) for k in WANTED[: len(wanted)]] == wanted


def test_a_helper_that_opens_the_autocommit_block_itself(make_db: Any, tmp_path: Path) -> None:
    """``def _concurrent_index(): with op.get_context().autocommit_block(): …`` called from
    upgrade(): the block is the helper's, its lines the helper's (review22: read by
    upgrade()'s line alone, the index was refused in the transaction, b FAILed)."""
    dsn = make_db("alembic22_helper_block")
    project = _project(tmp_path, 'os.environ["SILENCE19_URL"]', "    _concurrent_index()")
    revision = project / "versions" / "bb02.py"
    revision.write_text(
        revision.read_text()
        + "\n\ndef _concurrent_index():\n    with op.get_context().autocommit_block():\n"
        "        op.create_index('b_id', 'b', ['id'], postgresql_concurrently=True)\n"
    )
    assert _online(project, dsn) == {"public.a", "public.b", "b_id", "public.c"}
    statuses = silence19_statuses(tmp_path, project)
    assert [statuses.get(k) for k in WANTED] == ["PASS", "PASS", "PASS", "PASS"]


def test_a_refusal_before_the_commit_stops_the_run_whatever_the_driver(
    make_db: Any, tmp_path: Path
) -> None:
    """env.py's driver not known, a refused INSERT before ``op.execute("COMMIT")`` and a
    concurrent index after it: the INSERT rolls the run's one transaction back (a with it)
    and Alembic stops, with either driver (review22: a PASSed, the refusal passed over)."""
    dsn = make_db("alembic22_refused_first")
    body = "    op.execute('INSERT INTO missing VALUES (1)')\n" + COMMIT_INDEX
    project = _project(tmp_path, 'os.environ["SILENCE19_URL"]', body)
    assert _online(project, dsn) == set()
    statuses = silence19_statuses(tmp_path, project)
    assert [statuses.get(k) for k in ("tables.a", "tables.c")] == ["DEFERRED", "DEFERRED"]


def test_a_block_upgrade_never_enters_commits_nothing(make_db: Any, tmp_path: Path) -> None:
    """An autocommit block under ``if op.get_context().dialect.name == "sqlite":`` never runs
    on PostgreSQL: the run's one transaction goes on, and c's refused INSERT rolls a and b
    back (review22: the block was taken as committing the run, a and b PASSed)."""
    dsn = make_db("alembic22_never_entered")
    body = (
        "    if op.get_context().dialect.name == 'sqlite':\n"
        "        with op.get_context().autocommit_block():\n"
        "            op.execute('VACUUM')"
    )
    project = _project(tmp_path, 'os.environ["SILENCE19_URL"]', body)
    _refuse_in_c(project)
    assert _online(project, dsn) == set()
    statuses = silence19_statuses(tmp_path, project)
    assert [statuses.get(k) for k in ("tables.a", "tables.b")] == ["DEFERRED", "DEFERRED"]
