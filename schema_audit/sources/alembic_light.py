"""Render a revision that only hands SQL text to ``op.execute()`` without importing Alembic.

Why: importing ``alembic.operations`` pulls in SQLAlchemy and its PostgreSQL
dialect, about half of a small static audit's start-up (B0.3: 0.33 s of 0.66 s),
yet many histories (B0.3 among them) only ever call ``op.execute("…")``. For a
string, Alembic's offline output is the string itself: SQLAlchemy wraps it in
``text()`` and compiles it for postgresql with paramstyle ``named`` (no ``%``
doubling, see ``alembic._render``); with no bind parameter in it that leaves the
text as written; Alembic then replaces tabs with four spaces, strips it and
appends ``;``.

The revision still runs as Python, loaded exactly as rendering loads it (same
module name and loader, same ``sys.path``; loops, f-strings, helper functions and
the standard library all run), but its ``import alembic`` / ``import sqlalchemy``
are answered by stand-ins that know only ``op.execute(str)``, ``sa.text(str)`` and
``op.execute(sa.text(str))`` during ``upgrade()``. Anything else is *declined*:
any other ``op.*``/``sa.*`` name or import, text that could hold a bind parameter
(``:name``, ``\\:``), execution options, an ``op`` call outside ``upgrade()``, an
``Exception`` the revision raises (Ctrl-C and other BaseExceptions go up, as from real
Alembic). A declined revision is rendered by real Alembic from scratch
(``alembic._render``), so the light path either gives exactly Alembic's output or none
at all: never a partial read. The declining exception derives from
``BaseException`` so a revision's ``except Exception`` does not swallow it, and the
session remembers it even when a bare ``except:`` does.
"""

from __future__ import annotations

import builtins
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any, Protocol

# A colon SQLAlchemy's text() could read as a bind parameter (``:name``, also ``$``; not after
# a word character, ``$``, a colon or a backslash: ``a::int`` and ``'12:30'`` are not), or the
# ``\:`` escape it unescapes. Wider than SQLAlchemy's own pattern (which also looks at what
# follows), so every text it would change is declined here.
_MAYBE_BIND = re.compile(r"(?<![:\w$\\]):[\w$]|\\:")


class Declined(BaseException):
    """The stand-ins met something only real Alembic/SQLAlchemy can answer."""


class _Sink(Protocol):
    def write(self, text: str) -> int: ...


class _Session:
    """One revision's run: where statements go, whether upgrade() is running, why it declined."""

    def __init__(self, sink: _Sink) -> None:
        self.sink = sink
        self.active = False
        self.declined: str | None = None
        self.real_import = builtins.__import__
        self.op = _Op(self)
        self.alembic = _Alembic(self)
        self.sqlalchemy = _SqlAlchemy(self)

    def decline(self, why: str) -> Declined:
        if self.declined is None:
            self.declined = why
        return Declined(why)

    def import_(
        self,
        name: str,
        globals: dict[str, Any] | None = None,  # noqa: A002 (the signature of __import__)
        locals: dict[str, Any] | None = None,  # noqa: A002
        fromlist: tuple[str, ...] | list[str] | None = (),
        level: int = 0,
    ) -> Any:
        """``__import__`` for the revision: stand-ins for Alembic/SQLAlchemy, the real stdlib."""
        root = name.partition(".")[0]
        if level == 0 and name == "alembic":
            return self.alembic
        if level == 0 and name == "alembic.op":
            return self.op if fromlist else self.alembic
        if level == 0 and name == "sqlalchemy":
            return self.sqlalchemy
        if level == 0 and root in sys.stdlib_module_names and root not in ("alembic", "sqlalchemy"):
            return self.real_import(name, globals, locals, fromlist, level)
        raise self.decline(f"import {'.' * level}{name}")

    def execute(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """``op.execute(sqltext)``: write what Alembic's offline mode would write, or decline."""
        if not self.active:
            raise self.decline("op.execute() outside upgrade()")
        if len(args) + len(kwargs) != 1 or (kwargs and "sqltext" not in kwargs):
            raise self.decline("op.execute() with other arguments than the SQL text")
        sqltext = args[0] if args else kwargs["sqltext"]
        if type(sqltext) is _Text:
            text = sqltext._light_sql
        elif type(sqltext) is str:
            text = sqltext
        else:
            raise self.decline(f"op.execute() of a {type(sqltext).__name__}")
        if _MAYBE_BIND.search(text):
            raise self.decline("op.execute() text that may hold a bind parameter")
        self.sink.write(text.replace("\t", "    ").strip() + ";" + "\n\n")


class _StandIn:
    """Answers only the names it defines; every other attribute declines."""

    __slots__ = ("_session",)

    def __init__(self, session: _Session) -> None:
        self._session = session

    def __getattr__(self, name: str) -> Any:
        raise self._session.decline(f"{type(self).__name__.strip('_').lower()}.{name}")


class _Op(_StandIn):
    __slots__ = ()

    def execute(self, *args: Any, **kwargs: Any) -> None:
        self._session.execute(args, kwargs)


class _Alembic(_StandIn):
    __slots__ = ()

    @property
    def op(self) -> _Op:
        return self._session.op


class _SqlAlchemy(_StandIn):
    __slots__ = ()

    def text(self, *args: Any, **kwargs: Any) -> _Text:
        if kwargs or len(args) != 1 or type(args[0]) is not str:
            raise self._session.decline("sqlalchemy.text() of something other than one string")
        return _Text(self._session, args[0])


def _refuse(self: _Text, *args: Any, **kwargs: Any) -> Any:
    raise self._light_session.decline("a text() clause used other than in op.execute()")


class _Text:
    """``sa.text(str)``: only ever handed to ``op.execute``; any other use declines."""

    __slots__ = ("_light_session", "_light_sql")

    def __init__(self, session: _Session, sql: str) -> None:
        self._light_session = session
        self._light_sql = sql

    def __getattr__(self, name: str) -> Any:
        raise self._light_session.decline(f"text().{name}")

    __str__ = __repr__ = __format__ = __bool__ = __len__ = __iter__ = __contains__ = _refuse
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __getitem__ = __call__ = _refuse
    __add__ = __radd__ = __mod__ = __rmod__ = __and__ = __or__ = __invert__ = _refuse
    __hash__ = _refuse


def run(path: Path, module_name: str, sink: _Sink) -> str | None:
    """Run the revision's ``upgrade()`` against the stand-ins; None, or why it declined.

    Loaded as ``alembic._render`` loads it (``spec_from_file_location`` under the same
    module name, never left in ``sys.modules``); only ``__builtins__`` differs, so that
    the module's imports (anywhere in it) reach the stand-ins.
    """
    session = _Session(sink)
    try:
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            return "no loader for the file"
        module = importlib.util.module_from_spec(spec)
        module.__dict__["__builtins__"] = {**builtins.__dict__, "__import__": session.import_}
        spec.loader.exec_module(module)
        upgrade = module.upgrade
        session.active = True
        upgrade()
        session.active = False
    except Declined:
        pass
    except Exception as exc:  # anything a migration file raises: real Alembic settles it
        session.decline(f"raised {type(exc).__name__}")
    # Any other BaseException goes up, as it does from ``alembic._render`` (which catches
    # ``Exception`` only): Ctrl-C arrives as the CLI's ``Interrupted``, a BaseException, and
    # declining it would render the revision again and carry on with the run.
    finally:
        session.active = False
        sys.modules.pop(module_name, None)
    return session.declined
