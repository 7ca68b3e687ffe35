"""Replay a migration history into a scratch PostgreSQL, then read its catalog.

This settles what static reading can only defer: a ``DO`` block's dynamic
SQL, a revision that reads data through ``op.get_bind()``. The scratch database
is always one the tool created itself, on a throwaway cluster started from the
local server binaries (the default) or on a server given with
``--scratch-dsn``; it is dropped afterwards, also on errors and Ctrl-C, unless
``--keep-scratch`` asks to keep it for debugging. A ``--dsn`` target is never
written to: replay has no way to reach one.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from schema_audit.redact import scrub
from schema_audit.sources.pgserver import PgCluster, PgServerError, describe_bindir


class ReplayError(Exception):
    """The scratch database could not be provided; one line."""


@dataclass(slots=True)
class StepTiming:
    revision: str
    file: str
    seconds: float
    error: str | None = None


@dataclass(slots=True)
class Scratch:
    """A database the tool created and may write to."""

    dsn: str
    name: str
    admin_dsn: str
    steps: list[StepTiming] = field(default_factory=list)
    #: which server settled the replay, for the evidence ("PostgreSQL 16.2, embedded")
    server: str = ""

    @property
    def failed(self) -> StepTiming | None:
        return next((s for s in self.steps if s.error), None)

    def new_database(self, suffix: str) -> str:
        """Another scratch database on the same server (the rollback probe needs a clean one)."""
        name = f"{self.name}_{suffix}"
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        _created.append((self.admin_dsn, name))
        return _with_dbname(self.admin_dsn, name)


_created: list[tuple[str, str]] = []


def _with_dbname(dsn: str, name: str) -> str:
    params = conninfo_to_dict(dsn)
    params["dbname"] = name
    return make_conninfo(**params)


@contextmanager
def scratch_database(scratch_dsn: str | None = None, *, keep: bool = False) -> Iterator[Scratch]:
    """Yield a fresh database; drop it (and stop a throwaway cluster) when done."""
    cluster: PgCluster | None = None
    name = f"schema_audit_scratch_{secrets.token_hex(4)}"
    try:
        server = "a server given for scratch databases"
        if scratch_dsn:
            admin = scratch_dsn
        else:
            try:
                cluster = PgCluster(keep=keep).start()
            except PgServerError as exc:
                raise ReplayError(
                    f"cannot start a throwaway PostgreSQL for --replay: {exc}"
                ) from None
            admin = cluster.dsn()
            server = describe_bindir(cluster.bindir)
        try:
            with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.Error as exc:
            raise ReplayError(
                f"cannot create a scratch database on {scrub(admin)}: {str(exc).splitlines()[0]}"
            ) from None
        _created.append((admin, name))
        yield Scratch(_with_dbname(admin, name), name, admin, server=server)
    finally:
        if not keep:
            for admin_dsn, db in reversed(_created):
                try:
                    with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=10) as conn:
                        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                except psycopg.Error:
                    pass
        _created.clear()
        if cluster is not None and not keep:
            cluster.stop()


def _error_line(exc: BaseException) -> str:
    """The PostgreSQL error behind an exception chain, in one line."""
    seen = exc
    while seen is not None:
        if isinstance(seen, psycopg.Error):
            return str(seen).strip().splitlines()[0]
        seen = seen.__cause__ or seen.__context__  # type: ignore[assignment]
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def alembic_config(project: Path, dsn: str):  # type: ignore[no-untyped-def]
    """An Alembic Config aimed at ``dsn`` through the project's own env.py, and a function undoing the env change.

    The URL goes both into ``sqlalchemy.url`` and ``DATABASE_URL``: env.py files read one or the other.
    """
    from alembic.config import Config

    from schema_audit.sources.dburl import sqlalchemy_url

    url = sqlalchemy_url(dsn)
    project = project.resolve()
    ini = project / "alembic.ini"
    config = Config(str(ini)) if ini.exists() else Config()
    config.set_main_option(
        "script_location", str(_script_location(ini) if ini.exists() else project)
    )
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url

    def restore() -> None:
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous

    return config, restore


def replay_alembic(project: Path, scratch: Scratch, *, on_step=None) -> list[str]:  # type: ignore[no-untyped-def]
    """``alembic upgrade`` revision by revision; returns the history's heads."""
    from alembic import command

    from schema_audit.sources.alembic import render_history

    history = render_history(project)
    config, restore = alembic_config(project, scratch.dsn)
    try:
        for rev in history.revisions:
            started = time.perf_counter()
            try:
                command.upgrade(config, rev.revision)
                step = StepTiming(rev.revision, rev.file, time.perf_counter() - started)
            except Exception as exc:  # the revision failed on a real server: report, stop
                step = StepTiming(
                    rev.revision, rev.file, time.perf_counter() - started, scrub(_error_line(exc))
                )
            scratch.steps.append(step)
            if on_step:
                on_step(step)
            if step.error:
                break
    finally:
        restore()
    return history.heads


def _script_location(ini: Path) -> Path:
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ini, encoding="utf-8")
    location = parser.get("alembic", "script_location", fallback=".").replace(
        "%(here)s", str(ini.parent)
    )
    path = Path(location)
    return path if path.is_absolute() else (ini.parent / path).resolve()


def replay_sql(path: Path, scratch: Scratch, *, on_step=None) -> None:  # type: ignore[no-untyped-def]
    """Apply SQL files in migration order, one transaction per file."""
    from schema_audit.sources.sqlfile import _display, _up_section, order_sql_files

    files = order_sql_files(path)[0] if path.is_dir() else [path]
    with psycopg.connect(scratch.dsn, autocommit=True) as conn:
        for file in files:
            display = _display(file, path)
            started = time.perf_counter()
            error = None
            try:
                text = _up_section(file.read_text(encoding="utf-8"))
                text = "\n".join(
                    "" if line.startswith("\\") else line for line in text.splitlines()
                )
                with conn.transaction():
                    conn.execute(text)  # type: ignore[arg-type]
            except (psycopg.Error, UnicodeDecodeError, OSError) as exc:
                error = scrub(_error_line(exc))
            step = StepTiming(
                file.stem.split("__")[0], display, time.perf_counter() - started, error
            )
            scratch.steps.append(step)
            if on_step:
                on_step(step)
            if error:
                break
