"""Effective privileges: what a role can really do, not what was granted to it by name.

PostgreSQL decides access by the role itself, every role it is a member of
(inherited automatically, or reachable with SET ROLE when the membership does
not inherit), PUBLIC, ownership, superuser, column-level grants, and USAGE on
the schema that holds the object. Default privileges decide what objects
created later will grant (new partitions of an "immutable" table, say). The
immutability requirement is judged on all of this, from the live catalog and
from the static model alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from schema_audit.model import (
    TABLE_PRIVILEGES,
    DefaultPrivilege,
    Function,
    Grant,
    SchemaModel,
    Sequence,
    Table,
)


@dataclass(frozen=True, slots=True)
class Access:
    """One privilege a role holds, and the way it gets it."""

    privilege: str
    via: str  # the grantee it comes through, "owner" or "superuser"
    automatic: bool = True  # False: only after SET ROLE (a membership that does not inherit)
    columns: tuple[str, ...] = ()  # non-empty: a column-level grant on these columns only

    def describe(self, role: str) -> str:
        parts = []
        if self.columns:
            parts.append(f"on column(s) {', '.join(self.columns)}")
        if self.via == "owner":
            parts.append("as the owner")
        elif self.via == "superuser":
            parts.append("as superuser")
        elif self.via != role:
            parts.append(f"via {'PUBLIC' if self.via == 'public' else self.via}")
        if not self.automatic:
            parts.append("after SET ROLE")
        return " ".join(parts)


def reachable_roles(model: SchemaModel, role: str) -> dict[str, bool]:
    """Every role whose privileges ``role`` can use -> True when inherited without SET ROLE.

    Includes the role itself and PUBLIC. A membership without INHERIT (the member's
    NOINHERIT before PostgreSQL 16, the membership's INHERIT FALSE since) still lets the
    member SET ROLE, unless the membership also says SET FALSE (16+).
    """
    best: dict[str, bool] = {role: True, "public": True}
    stack = [(role, True)]
    while stack:
        name, automatic = stack.pop()
        current = model.roles.get(name)
        if current is None:
            continue
        for parent in current.member_of:
            inherit, can_set = current.membership_options.get(parent, (current.inherit, True))
            if not inherit and not can_set:
                continue
            reach = automatic and inherit
            if parent not in best or (reach and not best[parent]):
                best[parent] = reach
                stack.append((parent, reach))
    return best


def _is_superuser(model: SchemaModel, role: str) -> bool:
    found = model.roles.get(role)
    return bool(found and found.superuser)


def _owner_access(
    reach: dict[str, bool], owner: str | None, privileges: tuple[str, ...]
) -> dict[str, Access]:
    if owner and owner in reach:
        return {p: Access(p, "owner", reach[owner]) for p in privileges}
    return {}


def _better(new: Access, old: Access | None) -> bool:
    """Whole-object over column-level, automatic over SET ROLE."""
    if old is None:
        return True
    return (not new.columns, new.automatic) > (not old.columns, old.automatic)


def _from_grants(
    grants: list[Grant], reach: dict[str, bool], out: dict[str, Access], columns: tuple = ()
) -> None:
    for grant in grants:
        if grant.grantee in reach:
            access = Access(grant.privilege, grant.grantee, reach[grant.grantee], columns)
            if _better(access, out.get(grant.privilege)):
                out[grant.privilege] = access


def table_access(model: SchemaModel, table: Table, role: str) -> dict[str, Access]:
    """privilege -> how ``role`` holds it on ``table`` (table-level, or column-level)."""
    if _is_superuser(model, role):
        return {p: Access(p, "superuser") for p in TABLE_PRIVILEGES}
    reach = reachable_roles(model, role)
    out = _owner_access(reach, table.owner, TABLE_PRIVILEGES)
    if out:
        return out
    _from_grants(table.grants, reach, out)
    by_privilege: dict[tuple[str, str, bool], list[str]] = {}
    for column, grants in sorted(table.column_grants.items()):
        for grant in grants:
            if grant.grantee in reach:
                key = (grant.privilege, grant.grantee, reach[grant.grantee])
                by_privilege.setdefault(key, []).append(column)
    for (privilege, grantee, automatic), columns in sorted(by_privilege.items()):
        access = Access(privilege, grantee, automatic, tuple(columns))
        if _better(access, out.get(privilege)):
            out[privilege] = access
    return out


def schema_usage(model: SchemaModel, schema: str, role: str) -> Access | None:
    """How ``role`` has USAGE on ``schema``; None when it lacks it.

    A schema whose privileges the source does not know (not in ``schema_grants``) is
    taken as usable: absence of evidence is not a finding.
    """
    if schema not in model.schema_grants or _is_superuser(model, role):
        return Access("USAGE", "unknown" if schema not in model.schema_grants else "superuser")
    reach = reachable_roles(model, role)
    owner = model.schemas.get(schema)
    if owner and owner in reach:
        return Access("USAGE", "owner", reach[owner])
    out: dict[str, Access] = {}
    _from_grants(model.schema_grants[schema], reach, out)
    return out.get("USAGE")


def routine_execute(model: SchemaModel, function: Function, role: str) -> Access | None:
    """How ``role`` can EXECUTE ``function`` (PUBLIC has it unless revoked); None when it cannot."""
    if _is_superuser(model, role):
        return Access("EXECUTE", "superuser")
    reach = reachable_roles(model, role)
    owned = _owner_access(reach, function.owner, ("EXECUTE",))
    if owned:
        return owned["EXECUTE"]
    out: dict[str, Access] = {}
    _from_grants(function.grants, reach, out)
    return out.get("EXECUTE")


def sequence_access(model: SchemaModel, sequence: Sequence, role: str) -> dict[str, Access]:
    if _is_superuser(model, role):
        return {p: Access(p, "superuser") for p in ("USAGE", "SELECT", "UPDATE")}
    reach = reachable_roles(model, role)
    out = _owner_access(reach, sequence.owner, ("USAGE", "SELECT", "UPDATE"))
    if not out:
        _from_grants(sequence.grants, reach, out)
    return out


def future_table_grants(
    model: SchemaModel, table: Table, privileges: list[str]
) -> list[DefaultPrivilege]:
    """Default privileges that will grant any of ``privileges`` on tables created later beside ``table``.

    Default privileges apply per creating role; when the source does not know who creates
    (a migration history), entries without FOR ROLE are the migration role's own.
    """
    return [
        entry
        for entry in model.default_privileges
        if entry.object_type == "tables"
        and entry.schema in (None, table.schema)
        and (entry.owner is None or table.owner is None or entry.owner == table.owner)
        and entry.privilege in privileges
        and entry.grantee != table.owner
    ]


def future_grants(
    model: SchemaModel, table: Table, role: str, privileges: list[str]
) -> list[tuple[str, DefaultPrivilege]]:
    """(privilege, entry) that tables created later will grant to ``role`` or a role it reaches."""
    reach = reachable_roles(model, role)
    return [
        (entry.privilege, entry)
        for entry in future_table_grants(model, table, privileges)
        if entry.grantee in reach
    ]


def serial_sequences(model: SchemaModel, table: Table) -> list[Sequence]:
    """Sequences the table's column defaults call nextval() on: INSERT needs USAGE on them."""
    found = []
    for column in table.columns.values():
        default = column.default or ""
        if "nextval(" not in default:
            continue
        name = default.split("nextval(", 1)[1].split("'")[1] if "'" in default else ""
        schema, _, bare = name.rpartition(".")
        wanted = (schema.strip('"') or table.schema, bare.strip('"'))
        sequence = next((s for s in model.sequences.values() if (s.schema, s.name) == wanted), None)
        if sequence is not None:
            found.append(sequence)
    return found
