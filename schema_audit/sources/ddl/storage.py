"""Where a relation is stored: its tablespace and table access method, as PostgreSQL
chooses them.

A CREATE TABLE / INDEX / MATERIALIZED VIEW without ``TABLESPACE`` goes to the session's
``default_tablespace`` (pg_dump writes ``SET default_tablespace = ts`` before each object of a
non-default tablespace); a partition without one goes to its parent's tablespace first, a
partition's copy of a parent index to that index's. A table or materialized view without
``USING`` gets ``default_table_access_method`` (pg_dump's ``SET default_table_access_method``);
a partitioned table has none. The database's default tablespace (taken to be pg_default)
is stored as none (reltablespace 0), and heap, the built-in access method, is kept as none
too, as the live reader keeps them. The two settings are followed per session: a session
that set one is not kept in the model cache (``resume.capture``), so a cached prefix never
resumes without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import VariableSetKind

if TYPE_CHECKING:
    from schema_audit.model import Index, Table
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

_SETTINGS = {"default_tablespace": "pg_default", "default_table_access_method": "heap"}


def stored(name: str | None, default: str) -> str | None:
    """A tablespace / access method name as the model keeps it: None for the default."""
    return None if not name or name == default else name


def set_storage_default(interp: DdlInterpreter, node: ast.VariableSetStmt) -> bool:
    """SET / RESET default_tablespace or default_table_access_method (and RESET ALL); False
    for any other setting."""
    name = (node.name or "").lower()
    defaults: dict[str, str] = getattr(interp, "_storage_defaults", {})
    if node.kind == VariableSetKind.VAR_RESET_ALL:
        defaults.clear()
        return False  # RESET ALL resets the others too: search_path's handler sees it
    if name not in _SETTINGS:
        return False
    value = None
    if node.kind == VariableSetKind.VAR_SET_VALUE:
        arg = (node.args or [None])[0]
        value = getattr(getattr(arg, "val", None), "sval", None)
    value = stored(value, _SETTINGS[name])
    if value is None:
        defaults.pop(name, None)
    else:
        defaults[name] = value
        interp._storage_defaults = defaults  # type: ignore[attr-defined]
    return True


def storage_default(interp: DdlInterpreter, name: str) -> str | None:
    """The session's ``default_tablespace`` / ``default_table_access_method`` (None: default)."""
    defaults: dict[str, str] = getattr(interp, "_storage_defaults", {})
    return defaults.get(name)


def _placed(
    interp: DdlInterpreter, clause: str | None, inherited: str | None, setting: str
) -> str | None:
    """The clause's name, else what the parent passes on, else the session's setting."""
    if clause:
        return stored(clause, _SETTINGS[setting])
    return inherited or storage_default(interp, setting)


def relation_tablespace(
    interp: DdlInterpreter, clause: str | None, parent: Table | None = None
) -> str | None:
    """The tablespace of a new table or materialized view: its TABLESPACE, else its
    parent's (a partition), else the session's default."""
    return _placed(interp, clause, parent.tablespace if parent else None, "default_tablespace")


def relation_access_method(
    interp: DdlInterpreter, clause: str | None, partitioned: bool
) -> str | None:
    """The access method of a new table or materialized view (none for a partitioned table)."""
    if partitioned:
        return None
    return _placed(interp, clause, None, "default_table_access_method")


def index_tablespace(
    interp: DdlInterpreter, clause: str | None, parent: Index | None = None
) -> str | None:
    """The tablespace of a new index: its TABLESPACE (USING INDEX TABLESPACE of a key), else
    the parent index's (a partition's copy), else the session's default."""
    return _placed(interp, clause, parent.tablespace if parent else None, "default_tablespace")
