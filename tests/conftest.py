"""Shared fixtures: one real PostgreSQL per test session, never a mock.

``SCHEMA_AUDIT_TEST_DSN`` (a superuser or CREATEDB role on a server you run)
overrides the throwaway cluster. When neither is possible the database tests
fail with an install hint; they never skip.
"""

from __future__ import annotations

import inspect
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from schema_audit.sources.scratch_cluster import INSTALL_HINT, PgCluster, PgServerError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def _render_cache_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The rendered-revision cache of this test session lives in pytest's temp area, not in
    ~/.cache (subprocesses inherit the variable)."""
    previous = os.environ.get("SCHEMA_AUDIT_CACHE_DIR")
    os.environ["SCHEMA_AUDIT_CACHE_DIR"] = str(tmp_path_factory.mktemp("schema-audit-cache"))
    yield
    if previous is None:
        os.environ.pop("SCHEMA_AUDIT_CACHE_DIR", None)
    else:
        os.environ["SCHEMA_AUDIT_CACHE_DIR"] = previous


class Server:
    """A server the tests may create and drop databases on."""

    def __init__(self, admin_dsn: str) -> None:
        self.admin_dsn = admin_dsn
        self._counter = itertools.count()

    def dsn(self, dbname: str) -> str:
        params = conninfo_to_dict(self.admin_dsn)
        params["dbname"] = dbname
        return make_conninfo(**params)

    def execute(self, sql: str, dbname: str | None = None) -> None:
        dsn = self.dsn(dbname) if dbname else self.admin_dsn
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, prefix: str = "t") -> tuple[str, str]:
        name = f"sa_{prefix}_{os.getpid()}_{next(self._counter)}"
        self.execute(f'CREATE DATABASE "{name}"')
        return name, self.dsn(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    dsn = os.environ.get("SCHEMA_AUDIT_TEST_DSN")
    if dsn:
        yield Server(dsn)
        return
    try:
        cluster = PgCluster().start()
    except PgServerError as exc:
        pytest.fail(f"database tests need PostgreSQL: {exc}. To fix: {INSTALL_HINT}", pytrace=False)
    try:
        yield Server(cluster.dsn())
    finally:
        cluster.stop()


@pytest.fixture
def make_db(pg_server: Server) -> Iterator[Callable[..., str]]:
    """Factory: ``dsn = make_db("prefix", "CREATE TABLE …")`` gives a fresh database."""
    created: list[str] = []

    def make(prefix: str = "t", sql: str | None = None) -> str:
        name, dsn = pg_server.create_database(prefix)
        created.append(name)
        if sql:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(sql)
        return dsn

    yield make
    for name in created:
        pg_server.drop_database(name)


# Markers for the inner loop (`make test-fast` deselects them; `make test` runs everything):
# db — starts or uses a PostgreSQL server; browser — drives headless Chromium; slow — fuzzing
# and resource-limit runs. Assigned here from what a test uses, so no test file has to say it.
SLOW_MODULES = ("test_fuzz_ddl", "test_fuzz_spec", "test_resource_limits")


def _body(item: pytest.Item) -> str:
    function = getattr(item, "function", None)
    try:
        return inspect.getsource(function) if function is not None else ""
    except (OSError, TypeError):
        return ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        body = _body(item)
        fixtures = getattr(item, "fixturenames", ())
        if "pg_server" in fixtures or "PgCluster(" in body or '"--replay"' in body:
            item.add_marker(pytest.mark.db)
        if "chromium" in body.lower():
            item.add_marker(pytest.mark.browser)
        if item.module is not None and item.module.__name__ in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
