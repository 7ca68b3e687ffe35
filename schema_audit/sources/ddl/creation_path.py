"""Where an unqualified CREATE goes when the search_path starts with a schema nobody made.

PostgreSQL creates in the first schema of the search_path that exists
(recomputeNamespacePath leaves out the ones that do not): ``SET search_path = nosuch,
public; CREATE TABLE t`` makes ``public.t`` where there is no schema nosuch and
``nosuch.t`` where there is. A schema the history never creates may still exist, made
outside it (by the platform, a runner's own schemas setting): the reading cannot know
which, so such a creation is DEFERRED, naming what it would make in either schema. It made
``nosuch.t`` (a false PASS of ``nosuch.t``, a false FAIL of ``t``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pglast import ast

from schema_audit.sources import effects as fx

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

# schemas every database has (public only until a DROP SCHEMA: ``schema_grants``)
_ALWAYS = frozenset({"pg_temp", "pg_catalog", "information_schema"})


def _known(interp: DdlInterpreter, schema: str) -> bool:
    """Whether the history made (or always has) ``schema``, or the runner's search_path
    names it (``--search-path app,public``: app exists where the runner runs)."""
    model = interp.model
    return (
        schema in _ALWAYS
        or schema in model.schemas
        or schema in model.schema_grants
        or schema in interp.runner_schemas
    )


def uncertain(interp: DdlInterpreter) -> tuple[str, str] | None:
    """(the path's first schema, the first one after it the history made) when the first
    is not one it made: the creation schema is either. None when the first is known, or
    no later one is (the first is then taken to exist, as a schema written out is)."""
    path = interp.search_path
    if not path or _known(interp, path[0]):
        return None
    later = next((s for s in path[1:] if _known(interp, s)), None)
    return None if later is None else (path[0], later)


def _unqualified(names: list[ast.String] | tuple[ast.String, ...] | None) -> bool:
    return bool(names) and len(names or ()) == 1


def creates_unqualified(node: ast.Node | None) -> bool:
    """Whether ``node`` creates an object the search_path places (no schema written, not
    TEMPORARY: that one goes to pg_temp)."""
    rv: ast.RangeVar | None = None
    if isinstance(node, ast.CreateStmt):
        rv = node.relation
    elif isinstance(node, ast.CreateSeqStmt):
        rv = node.sequence
    elif isinstance(node, ast.ViewStmt):
        rv = node.view
    elif isinstance(node, ast.CreateTableAsStmt) and node.into is not None:
        rv = node.into.rel
    elif isinstance(node, ast.CompositeTypeStmt):
        rv = node.typevar
    if rv is not None:
        return not rv.schemaname and rv.relpersistence != "t"
    if isinstance(node, ast.CreateEnumStmt | ast.CreateRangeStmt):
        return _unqualified(node.typeName)
    if isinstance(node, ast.CreateDomainStmt):
        return _unqualified(node.domainname)
    if isinstance(node, ast.CreateFunctionStmt):
        return _unqualified(node.funcname)
    if isinstance(node, ast.DefineStmt):
        return _unqualified(node.defnames)
    return False


def defer(interp: DdlInterpreter, node: ast.Node, schemas: tuple[str, str]) -> None:
    """The creation left unapplied, what it names open in both schemas."""
    first, later = schemas
    path = interp.search_path
    effects = fx.statement_effects(node, interp)
    try:
        interp.search_path = [later, *path[path.index(later) + 1 :]]
        effects += fx.statement_effects(node, interp)
    finally:
        interp.search_path = path
    interp._unapplied(
        "unsupported",
        f"the search_path's first schema {first} is not one the history creates: PostgreSQL "
        f"creates in the first schema of the path that exists ({first} if it was made outside "
        f"the history, else {later})",
        effects,
    )
