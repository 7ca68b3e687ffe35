"""Owners a replay cannot vouch for: what the replaying role owns is owned by "whoever ran it".

Why: a migration history that never says ``OWNER TO`` leaves ownership to the role that
runs it. Read statically, such an owner is unknown and an ``owner:`` requirement is
DEFERRED. A replay runs the same history as the scratch database's role (``postgres``
of the throwaway cluster, or the ``--scratch-dsn`` user), so the catalog then names that
role as the owner of everything the history created: comparing it with the owner a
production database has (``init --dsn`` writes it) would FAIL every table and function
of a correct history. Ownership the history did name (``OWNER TO app``) is kept.

An object owned by the replaying role is therefore read as owned by an unknown role, as
a static reading reads it; its ACL loses the owner's own entries, which a live reading
leaves out of ``grants:`` for the owner in the same way (``kinds._acl.acl``). Default
privileges the replaying role holds are likewise "for the role running the migrations",
as a static reading of ``ALTER DEFAULT PRIVILEGES`` without ``FOR ROLE`` records them.
"""

from __future__ import annotations

from schema_audit.model import EnumType, Function, Grant, SchemaModel, Sequence, Table, View


def forget_runner_ownership(model: SchemaModel, runner: str) -> None:
    """Owner ``runner`` becomes unknown (None), and the grants it holds as owner go."""

    def without_runner(grants: list[Grant]) -> list[Grant]:
        return [g for g in grants if g.grantee != runner]

    owned: list[Table | View | Function | Sequence | EnumType] = [
        *model.tables.values(),
        *model.views.values(),
        *model.functions.values(),
        *model.sequences.values(),
        *model.enums.values(),
    ]
    for thing in owned:
        if thing.owner == runner:
            thing.owner = None
            thing.grants = without_runner(thing.grants)
    for default in model.default_privileges:
        if default.owner == runner:  # ALTER DEFAULT PRIVILEGES without FOR ROLE in the history
            default.owner = None
    for schema, owner in model.schemas.items():
        if owner == runner:
            model.schemas[schema] = None
            if schema in model.schema_grants:
                model.schema_grants[schema] = without_runner(model.schema_grants[schema])
