"""Refuse every database connection that is not the scratch database, in the process running env.py.

``--replay`` runs the project's own ``env.py``. Real ones take their URL from
the application's settings (``settings.get_postgres_dsn()``,
``os.environ["APP_DATABASE_DSN"]``) and would migrate whatever database that
names. The replay child process installs this guard before it loads
``env.py``: SQLAlchemy engine creation (sync and async) and the DBAPI connect
functions of psycopg 3, psycopg2, asyncpg and pg8000 (whichever are importable)
check their target first and raise :class:`ConnectionRefused` for anything but
the scratch database. A refusal is also recorded, so an ``env.py`` that catches
the exception and carries on still fails the replay.

The comparison is on (host, port, database). The child's environment pins
``PGHOST``/``PGPORT``/``PGDATABASE`` to the scratch database and drops
``PGSERVICE``, so parameters a URL leaves out resolve to the scratch database
for libpq as for this check; a ``service=`` name cannot be checked and is refused.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from schema_audit.redact import scrub

_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}


class ConnectionRefused(RuntimeError):
    """env.py (or code it imports) tried to reach a database other than the scratch one."""


@dataclass(frozen=True, slots=True)
class Target:
    """The server and database a DSN names, as compared to refuse writing to it."""

    host: str
    port: str
    dbname: str

    def describe(self) -> str:
        return f"{self.host}:{self.port}/{self.dbname}"


def _host_key(host: str) -> str:
    host = host.strip()
    return "loopback" if host.lower() in _LOOPBACK else host


def _resolve(params: dict[str, Any]) -> list[Target] | None:
    """The targets libpq would reach with ``params`` in this (pinned) environment; None: unknowable."""
    if params.get("service"):
        return None
    hosts = str(params.get("host") or params.get("hostaddr") or os.environ.get("PGHOST", ""))
    port = str(params.get("port") or os.environ.get("PGPORT", "5432"))
    dbname = str(params.get("dbname") or params.get("database") or os.environ.get("PGDATABASE", ""))
    if not hosts or not dbname:
        return None
    ports = port.split(",")
    out = []
    for i, host in enumerate(hosts.split(",")):
        out.append(Target(host, ports[i] if i < len(ports) else ports[-1], dbname))
    return out


@dataclass
class ConnectionGuard:
    """Installed once in the replay child; ``refusals`` keeps every refused attempt's one-line message."""

    allowed: Target
    project_files: tuple[str, ...] = ()
    refusals: list[str] = field(default_factory=list)

    def matches(self, targets: list[Target] | None) -> bool:
        if not targets:
            return False
        want = (_host_key(self.allowed.host), self.allowed.port, self.allowed.dbname)
        return all((_host_key(t.host), t.port, t.dbname) == want for t in targets)

    def check(self, shown: str, targets: list[Target] | None) -> None:
        """Raise (and record) unless every target is the scratch database."""
        if self.matches(targets):
            return
        where = self._caller()
        message = (
            f"{where}tried to connect to {scrub(shown)}, which is not the scratch database "
            f"({self.allowed.describe()}); replay connects only to the database it created "
            "(make env.py use config.attributes['connection'] or sqlalchemy.url)"
        )
        self.refusals.append(message)
        raise ConnectionRefused(message)

    def _caller(self) -> str:
        """``env.py:LINE: `` (or the revision file) that made the attempt, innermost first."""
        for frame in reversed(traceback.extract_stack()[:-2]):
            if any(frame.filename == f for f in self.project_files):
                return f"{os.path.basename(frame.filename)}:{frame.lineno}: "
        for frame in reversed(traceback.extract_stack()[:-2]):
            if os.path.basename(frame.filename) == "env.py":
                return f"env.py:{frame.lineno}: "
        return "env.py "

    # -- the hooks -----------------------------------------------------------

    def check_sqlalchemy(self, url: Any, kwargs: dict[str, Any]) -> None:
        from sqlalchemy.engine import make_url

        try:
            parsed = make_url(url)
        except Exception:  # an unparseable URL is not the scratch database
            self.check(str(url), None)
            return
        shown = parsed.render_as_string(hide_password=True)
        if parsed.get_backend_name() != "postgresql":
            self.check(shown, None)
            return
        params: dict[str, Any] = {k: v for k, v in parsed.query.items() if isinstance(v, str)}
        for key, value in (
            ("host", parsed.host),
            ("port", parsed.port),
            ("dbname", parsed.database),
        ):
            if value:
                params[key] = value
        params.update(kwargs.get("connect_args") or {})
        self.check(shown, _resolve(params))

    def check_libpq(self, conninfo: str | None, kwargs: dict[str, Any]) -> None:
        keys = ("host", "hostaddr", "port", "dbname", "database", "service", "user")
        extra = {k: v for k, v in kwargs.items() if k in keys and v is not None}
        if "database" in extra:
            extra.setdefault("dbname", extra.pop("database"))
        try:
            params = conninfo_to_dict(make_conninfo(conninfo or "", **extra))
        except Exception:
            self.check(str(conninfo), None)
            return
        shown = ", ".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "password")
        self.check(shown or "(libpq defaults)", _resolve(params))

    def check_asyncpg(self, dsn: str | None, kwargs: dict[str, Any]) -> None:
        params: dict[str, Any] = {}
        if dsn:
            try:
                params = conninfo_to_dict(dsn)
            except Exception:
                self.check(str(dsn), None)
                return
        for key in ("host", "port", "database"):
            if kwargs.get(key) is not None:
                params["dbname" if key == "database" else key] = kwargs[key]
        shown = dsn or ", ".join(f"{k}={v}" for k, v in sorted(params.items()))
        self.check(shown, _resolve({k: str(v) for k, v in params.items()}))

    def install(self) -> None:
        """Wrap every connection entry point this process can import."""
        _wrap_sqlalchemy(self)
        _wrap_psycopg(self)
        for module_name, attrs in (("psycopg2", ("connect",)), ("pg8000", ("connect",))):
            with contextlib.suppress(ImportError):
                module = importlib.import_module(module_name)
                for attr in attrs:
                    _wrap_function(module, attr, lambda a, k: self.check_libpq(_first(a), k))
        with contextlib.suppress(ImportError):
            import asyncpg  # type: ignore[import-not-found]

            for owner in (asyncpg, getattr(asyncpg, "connection", None)):
                if owner is not None and hasattr(owner, "connect"):
                    _wrap_function(owner, "connect", lambda a, k: self.check_asyncpg(_first(a), k))


def _first(args: tuple[Any, ...]) -> Any:
    return args[0] if args else None


def _wrap_function(owner: Any, attr: str, check: Callable[[tuple, dict], None]) -> None:
    original = getattr(owner, attr)

    def guarded(*args: Any, **kwargs: Any) -> Any:
        check(args, kwargs)
        return original(*args, **kwargs)

    guarded.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(owner, attr, guarded)


def _wrap_sqlalchemy(guard: ConnectionGuard) -> None:
    import sqlalchemy
    import sqlalchemy.engine
    import sqlalchemy.engine.create

    original = sqlalchemy.engine.create.create_engine

    def create_engine(url: Any, **kwargs: Any) -> Any:
        guard.check_sqlalchemy(url, kwargs)
        return original(url, **kwargs)

    create_engine.__wrapped__ = original  # type: ignore[attr-defined]
    # engine_from_config and create_async_engine call these module globals.
    sqlalchemy.create_engine = create_engine
    sqlalchemy.engine.create_engine = create_engine
    sqlalchemy.engine.create.create_engine = create_engine
    try:  # needs greenlet; without it env.py cannot make an async engine either
        import sqlalchemy.ext.asyncio.engine as async_engine
    except ImportError:
        return
    async_engine._create_engine = create_engine


def _wrap_psycopg(guard: ConnectionGuard) -> None:
    import psycopg

    for cls in (psycopg.Connection, psycopg.AsyncConnection):
        original = cls.__dict__["connect"].__func__

        def connect(klass: Any, conninfo: str = "", _original=original, **kwargs: Any) -> Any:
            guard.check_libpq(conninfo, kwargs)
            return _original(klass, conninfo, **kwargs)

        cls.connect = classmethod(connect)  # type: ignore[assignment,method-assign]
    psycopg.connect = psycopg.Connection.connect
