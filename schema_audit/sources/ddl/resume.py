"""The interpreter's state between two files, kept beside a cached model so that a history
that grew (or whose last files changed) is read on from its longest cached prefix.

Between files a :class:`DdlInterpreter` holds, besides the model: the search_path and role
the next statement resolves names with, the collations and revoked default privileges
seen, the views whose ``*`` covered unknown columns, the relation-name registry (which
knows sequences the model keys do not show), the reverse indexes (foreign-key referrers,
index homes: kept in their order, only their current entries) and the ledger of open
unapplied statements. Temporary relations never outlive a file (``end_session``).
:data:`STATE` names every attribute an interpreter has and how it is kept; a test
fails when the interpreter gains one this module does not know.
"""

from __future__ import annotations

from schema_audit.model import Column, SchemaModel, Table, View
from schema_audit.sources.ddl import index_links
from schema_audit.sources.ddl.inheritance import Link
from schema_audit.sources.ddl.interpreter import DdlInterpreter
from schema_audit.sources.model_cache import Session

# every attribute of a DdlInterpreter, and how it crosses from one file to the next
STATE = {
    "model": "the entry's model",
    "search_path": "kept",
    "runner_schemas": "set by the reader of each history (its search_path is in the cache key)",
    "current_role": "kept",
    "collations": "kept",
    "_revoked_defaults": "kept",
    "views_unknown_columns": "kept",
    "_relations": "kept",
    "_referrers": "kept (current entries, in order)",
    "_index_homes": "kept (current entries, in order)",
    "ledger": "kept (positions in model.unapplied)",
    "_temp": "empty between files (end_session)",
    "_temp_routines": "empty between files (end_session)",
    "_temp_types": "empty between files (end_session)",
    "_made_before": "empty between files (end_session)",
    "_holders": "empty between files (end_session)",
    "_standard_bodies": "empty between files (end_session)",
    "_file": "set by each file",
    "_revision": "set by each file",
    "includes": "set by the reader of each history (a history with \\i is never cached)",
    "_stmt": "set by each statement",
    "_last_prov": "matches only its own statement",
    "_rules": "kept (made on the first CREATE RULE)",
    "_rule_uses": "kept (made on the first CREATE RULE)",
    "_inheritance": "kept (made on the first INHERITS; current tables only)",
    "_unattached": "not kept (made on the first ON ONLY index): a session with one waiting is not cached",
    "_set_roles": "kept (made on the first SET ROLE)",
    "_tx_settings": "None between files (end_session)",
    "_index_links": "kept (made on the first partition index; current indexes only)",
    "_star_uses": "kept (made on the first view a * made; current views and columns only)",
    "_unchecked_bodies": "not kept (made on the first SET check_function_bodies): on again at "
    "each file's end (end_session); a session that ends with it off is not captured",
    "_storage_defaults": "not kept (made on the first SET default_tablespace / "
    "default_table_access_method): a session with one set is not captured (storage.py)",
}


def capture(interp: DdlInterpreter, contents: int) -> Session | None:
    """The state after a file, or None when it cannot be kept exactly."""
    model = interp.model
    if interp._temp or not set(vars(interp)) <= set(STATE) or getattr(interp, "_unattached", None):
        return None
    if getattr(interp, "_storage_defaults", None):
        return None
    if getattr(interp, "_unchecked_bodies", False):  # end_session turns it on again: never here
        return None
    attached = index_links.capture(interp)
    if attached is None:
        return None
    positions = {id(stmt): n for n, stmt in enumerate(model.unapplied)}
    if any(id(stmt) not in positions for stmt in interp.ledger.open):
        return None
    referrers = []
    for target, tables in interp._referrers.items():
        current = [
            t.qualified_name for t in tables.values() if model.tables.get(t.qualified_name) is t
        ]
        if current:
            referrers.append((target, current))
    homes = []
    for key, relation in interp._index_homes.items():
        name = relation.qualified_name
        if isinstance(relation, View) and model.views.get(name) is relation:
            homes.append((key, name, True))
        elif isinstance(relation, Table) and model.tables.get(name) is relation:
            homes.append((key, name, False))
    inheritance = []
    links: dict[int, Link] = getattr(interp, "_inheritance", {})
    for link in links.values():
        if model.tables.get(link.child.qualified_name) is not link.child:
            continue  # a table dropped since: its link is never read again
        parents = [p.qualified_name for p in link.parents]
        if any(model.tables.get(k) is not p for k, p in zip(parents, link.parents, strict=True)):
            return None  # a parent that is gone while its child is not: not kept exactly
        inheritance.append((link.child.qualified_name, parents, sorted(link.inherited)))
    star_uses = []
    uses: dict[int, tuple[View, list[Column]]] = getattr(interp, "_star_uses", {})
    if uses:
        where = {
            id(column): (key, name)
            for key, table in model.tables.items()
            for name, column in table.columns.items()
        }
        for view, covered in uses.values():
            if model.views.get(view.qualified_name) is view:
                # a column no current table holds is never matched again (by identity)
                star_uses.append(
                    (view.qualified_name, [where[id(c)] for c in covered if id(c) in where])
                )
    return Session(
        star_uses=star_uses,
        set_roles=sorted(getattr(interp, "_set_roles", ())),
        index_links=attached,
        rules=list(getattr(interp, "_rules", {}).items()),
        rule_uses=[(k, list(v)) for k, v in getattr(interp, "_rule_uses", {}).items()],
        inheritance=inheritance,
        contents=contents,
        search_path=list(interp.search_path),
        current_role=interp.current_role,
        collations=sorted(interp.collations),
        revoked_defaults=sorted(interp._revoked_defaults, key=repr),
        views_unknown_columns=sorted(interp.views_unknown_columns),
        relations=dict(interp._relations),
        referrers=referrers,
        index_homes=homes,
        ledger_open=[positions[id(stmt)] for stmt in interp.ledger.open],
    )


def resume(model: SchemaModel, session: Session) -> DdlInterpreter:
    """An interpreter that goes on from ``model`` and ``session`` as the one that made them."""
    had_public = "public" in model.schema_grants
    had_comment = "public" in model.schema_comments
    interp = DdlInterpreter(model)
    if not had_public:  # the constructor's default grant: not there when the history revoked it
        model.schema_grants.pop("public", None)
    if not had_comment:  # nor its default comment, when the history removed it
        model.schema_comments.pop("public", None)
    interp.search_path = list(session.search_path)
    interp.current_role = session.current_role
    interp.collations = {tuple(c) for c in session.collations}  # type: ignore[misc]
    interp._revoked_defaults = {tuple(r) for r in session.revoked_defaults}  # type: ignore[misc]
    interp.views_unknown_columns = set(session.views_unknown_columns)
    interp._relations = dict(session.relations)
    interp._referrers = {}
    for (schema, name), keys in session.referrers:
        for key in keys:
            interp._refers(model.tables[key], schema, name)
    interp._index_homes = {
        (schema, name): (model.views[key] if is_view else model.tables[key])
        for (schema, name), key, is_view in session.index_homes
    }
    interp.ledger.open = [model.unapplied[n] for n in session.ledger_open]
    if session.rules:
        interp._rules = {tuple(key): spot for key, spot in session.rules}  # type: ignore[attr-defined]
    if session.rule_uses:
        interp._rule_uses = {  # type: ignore[attr-defined]
            tuple(key): [tuple(use) for use in used] for key, used in session.rule_uses
        }
    if session.inheritance:
        interp._inheritance = {  # type: ignore[attr-defined]
            id(model.tables[child]): Link(
                model.tables[child],
                [model.tables[p] for p in parents],
                {(kind, name) for kind, name in inherited},
            )
            for child, parents, inherited in session.inheritance
        }
    if session.index_links:
        index_links.restore(interp, [tuple(kept) for kept in session.index_links])  # type: ignore[misc]
    if session.set_roles:
        interp._set_roles = set(session.set_roles)  # type: ignore[attr-defined]
    if session.star_uses:
        interp._star_uses = {  # type: ignore[attr-defined]
            id(model.views[view]): (
                model.views[view],
                [model.tables[key].columns[name] for key, name in covered],
            )
            for view, covered in session.star_uses
        }
    return interp
