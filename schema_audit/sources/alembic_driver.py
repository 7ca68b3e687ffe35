"""The DBAPI driver ``alembic upgrade`` connects with, read from env.py and alembic.ini.

Why it matters: a revision's ``op.execute("COMMIT")`` ends the server's transaction, and
what runs after it depends on the driver. psycopg2 still believes it is in a transaction
and sends no BEGIN, so a ``CREATE INDEX CONCURRENTLY`` after it runs outside any
transaction block; psycopg (3) asks libpq, finds the connection idle and begins a new
transaction, where PostgreSQL refuses that index and Alembic stops (PostgreSQL 15, Alembic
1.20, SQLAlchemy 2.1, psycopg 3.3 and psycopg2 2.9). The reading follows the driver only
when the text says which one it is: every engine env.py makes online comes from a
``postgresql+<driver>://`` literal (``create_engine("…")``) or from alembic.ini's
``sqlalchemy.url`` (``engine_from_config``), and they agree. A bare ``postgresql://`` is
not known (SQLAlchemy 2.0 takes psycopg2, 2.1 psycopg), nor is a URL from the environment,
a settings module or a connection handed in through ``config.attributes``.
"""

from __future__ import annotations

import ast as pyast
import configparser
import re
from pathlib import Path

# the drivers whose behaviour after a COMMIT sent by hand was checked on PostgreSQL 15
BEGINS_AGAIN = "psycopg"  # a new transaction at the next statement
STAYS_OUTSIDE = "psycopg2"  # no BEGIN until its own commit
KNOWN = (BEGINS_AGAIN, STAYS_OUTSIDE)
_ENGINES = {"create_engine", "create_async_engine"}
_FROM_CONFIG = {"engine_from_config", "async_engine_from_config"}
_OVERRIDES = {"set_main_option", "set_section_option", "attributes", "get_x_argument"}
_SCHEME = re.compile(r"\s*postgresql\+(\w+)://")


def driver(env: Path | None, ini: Path | None) -> str | None:
    """The driver's name (``psycopg``, ``psycopg2`` …) when env.py's engines say it, else
    None (module docstring)."""
    tree = env_tree(env)
    if tree is None:
        return None
    names: set[str | None] = set()
    for node in online_nodes(tree):
        if isinstance(node, pyast.Attribute) and node.attr in _OVERRIDES:
            return None  # (the URL set in code, or a connection handed in)
        if not isinstance(node, pyast.Call):
            continue
        called = _called(node)
        url = next((k.value for k in node.keywords if k.arg == "url"), None)
        if called in _ENGINES:
            names.add(_literal_driver(node.args[0] if node.args else url))
        elif called in _FROM_CONFIG:
            if url is not None:
                names.add(_literal_driver(url))
            else:
                section = node.args[0] if node.args else None
                names.add(_ini_driver(ini) if _ini_section(section, tree) else None)
    return names.pop() if len(names) == 1 else None


def _ini_section(node: pyast.expr | None, tree: pyast.Module) -> bool:
    """Whether ``engine_from_config``'s first argument is alembic.ini's section as read:
    ``config.get_section(…)`` itself, or a name bound once to it that env.py never writes
    into (``cfg["sqlalchemy.url"] = os.environ[…]``, the FastAPI template's way, or
    ``cfg.update(…)``) nor hands on. A dict built in code, or one changed, may hold any URL:
    the ini's driver would be a guess (psycopg2's reading PASSes an index psycopg refuses)."""
    if _is_get_section(node):
        return True
    if not isinstance(node, pyast.Name):
        return False
    bindings = 0
    for other in pyast.walk(tree):
        if _changes(other, node.id):
            return False
        if isinstance(other, pyast.Assign) and any(_names(t, node.id) for t in other.targets):
            if not _is_get_section(other.value):
                return False
            bindings += 1
    return bindings == 1


def _changes(node: pyast.AST, name: str) -> bool:
    """Whether ``node`` may change the dict bound to ``name`` (or bind it otherwise)."""
    if isinstance(node, pyast.AugAssign | pyast.AnnAssign):
        return _names(node.target, name)
    if isinstance(node, pyast.Assign):  # cfg["sqlalchemy.url"] = …
        return any(isinstance(t, pyast.Subscript) and _names(t.value, name) for t in node.targets)
    if isinstance(node, pyast.Attribute):  # cfg.update(…), cfg.setdefault(…), cfg.pop(…)
        return _names(node.value, name) and node.attr != "get"
    if isinstance(node, pyast.Call):  # handed to code that may write into it: set_url(cfg)
        return _called(node) not in _FROM_CONFIG and any(_names(a, name) for a in node.args)
    return False


def _is_get_section(node: pyast.expr | None) -> bool:
    return (
        isinstance(node, pyast.Call)
        and isinstance(node.func, pyast.Attribute)
        and node.func.attr == "get_section"
    )


def _names(node: pyast.expr, name: str) -> bool:
    return isinstance(node, pyast.Name) and node.id == name


def line(env: Path | None) -> int:
    """The line of env.py's first engine (where a reader looks for the driver), or 1."""
    tree = env_tree(env)
    found = [
        node.lineno
        for node in (online_nodes(tree) if tree is not None else [])
        if isinstance(node, pyast.Call) and _called(node) in _ENGINES | _FROM_CONFIG
    ]
    return min(found, default=1)


def env_tree(env: Path | None) -> pyast.Module | None:
    """env.py's syntax tree, or None (no env.py, or one Python cannot read)."""
    if env is None:
        return None
    try:
        return pyast.parse(env.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return None


def online_nodes(tree: pyast.AST) -> list[pyast.AST]:
    """Every node of ``tree`` outside functions named for offline mode (``alembic upgrade
    --sql`` only, never the database's run)."""
    found: list[pyast.AST] = []
    for node in pyast.iter_child_nodes(tree):
        if (
            isinstance(node, pyast.FunctionDef | pyast.AsyncFunctionDef)
            and "offline" in node.name.lower()
        ):
            continue
        found.append(node)
        found.extend(online_nodes(node))
    return found


def _called(call: pyast.Call) -> str | None:
    func = call.func
    if isinstance(func, pyast.Name):
        return func.id
    return func.attr if isinstance(func, pyast.Attribute) else None


def _literal_driver(node: pyast.expr | None) -> str | None:
    """The driver of a URL written as a string literal, else None."""
    if isinstance(node, pyast.Constant) and isinstance(node.value, str):
        return _scheme_driver(node.value)
    return None


def _scheme_driver(url: str) -> str | None:
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else None


def _ini_driver(ini: Path | None) -> str | None:
    """The driver of alembic.ini's ``[alembic] sqlalchemy.url``, else None."""
    if ini is None or not ini.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(ini, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    return _scheme_driver(parser.get("alembic", "sqlalchemy.url", fallback=""))
