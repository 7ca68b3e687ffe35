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
    OBJECT_PRIVILEGES,
    OWNER_LACKS,
    RUNNER,
    TABLE_PRIVILEGES,
    DefaultPrivilege,
    Function,
    Grant,
    SchemaModel,
    Sequence,
    Table,
    held,
    may_run_history,
    owner_lacks,
    qualify,
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


def _object_access(
    model: SchemaModel,
    role: str,
    owner: str | None,
    grants: list[Grant],
    every: tuple[str, ...],
    reach: dict[str, bool] | None = None,
    marked: bool = False,
) -> tuple[dict[str, Access], dict[str, bool] | None]:
    """privilege -> Access on one object (superuser, ownership, then grants), and the roles
    ``role`` reaches — None when superuser or ownership already gives everything.
    ``reach``: ``reachable_roles(model, role)`` when the caller already has it. ``marked``:
    ``grants`` may mark what the owner's own entry lacks (a catalog's schemas, sequences,
    routines and relations; a static reading holds none)."""
    found = model.roles.get(role)
    if found is not None and found.superuser:
        return {p: Access(p, "superuser") for p in every}, None
    if reach is None:
        reach = reachable_roles(model, role)
    if owner and owner in reach:
        # the owner's own ACL entry, less what a catalog marks it lacks (the owner REVOKEd it
        # from itself, sources/live_acl.grants): PostgreSQL refuses the owner those, unless
        # another grant it reaches (PUBLIC's) gives them
        lacks = owner_lacks(grants, owner) if marked else None
        if not lacks:
            return {p: Access(p, "owner", reach[owner]) for p in every}, None
        out = {p: Access(p, "owner", reach[owner]) for p in every if p not in lacks}
        _from_grants([g for g in grants if not g.privilege.startswith(OWNER_LACKS)], reach, out)
        return out, reach
    out = {}
    _from_grants(grants, reach, out)
    return out, reach


def _better(new: Access, old: Access | None) -> bool:
    """Whole-object over column-level, automatic over SET ROLE."""
    if old is None:
        return True
    return (not new.columns, new.automatic) > (not old.columns, old.automatic)


def _from_grants(grants: list[Grant], reach: dict[str, bool], out: dict[str, Access]) -> None:
    for grant in held(grants):  # (those of the history's runner judged: model.RUNNER)
        if grant.grantee in reach:
            access = Access(grant.privilege, grant.grantee, reach[grant.grantee])
            if _better(access, out.get(grant.privilege)):
                out[grant.privilege] = access


def table_access(
    model: SchemaModel, table: Table, role: str, reach: dict[str, bool] | None = None
) -> dict[str, Access]:
    """privilege -> how ``role`` holds it on ``table`` (table-level, or column-level);
    ``reach``: ``reachable_roles(model, role)`` when the caller already has it."""
    out, reach = _object_access(
        model, role, table.owner, table.grants, TABLE_PRIVILEGES, reach, marked=True
    )
    if reach is None:
        return out
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


def schema_usage(
    model: SchemaModel, schema: str, role: str, reach: dict[str, bool] | None = None
) -> Access | None:
    """How ``role`` has USAGE on ``schema``; None when it lacks it.

    A schema whose privileges the source does not know (not in ``schema_grants``) is
    taken as usable: absence of evidence is not a finding.
    """
    if schema not in model.schema_grants:
        return Access("USAGE", "unknown")
    out, _ = _object_access(
        model,
        role,
        _owner(model.schemas.get(schema)),
        model.schema_grants[schema],
        OBJECT_PRIVILEGES["schemas"],
        reach,
        marked=True,
    )
    return out.get("USAGE")


def routine_execute(model: SchemaModel, function: Function, role: str) -> Access | None:
    """How ``role`` can EXECUTE ``function`` (PUBLIC has it unless revoked); None when it cannot."""
    out, _ = _object_access(
        model, role, function.owner, function.grants, OBJECT_PRIVILEGES["functions"], marked=True
    )
    return out.get("EXECUTE")


def sequence_access(
    model: SchemaModel, sequence: Sequence, role: str, reach: dict[str, bool] | None = None
) -> dict[str, Access]:
    out, _ = _object_access(
        model,
        role,
        _owner(sequence.owner),
        sequence.grants,
        OBJECT_PRIVILEGES["sequences"],
        reach,
        marked=True,
    )
    return out


def _owner(owner: str | None) -> str | None:
    """The owner of a schema or sequence in the world being judged: a static reading leaves
    the owner of what the history creates unknown (None), since the role that runs it owns
    it; in the world where role x runs the history (``model.RUNNER``) that is x."""
    return owner if owner is not None else RUNNER.get()


def _runner_decides(model: SchemaModel, owner: str | None, role: str) -> bool:
    """Whether ``role`` owns an object of unknown ``owner`` were it the history's runner."""
    return owner is None and may_run_history(model, role)


def runner_owned(model: SchemaModel, table: Table, role: str) -> list[str]:
    """What ``role`` would own were it the one running the history, and lacks USAGE on
    otherwise: ``table``'s schema and the sequences of its ``nextval()`` defaults whose owner
    the source leaves unknown (["schema auth", "sequence auth.sessions_id_seq"]); [] when
    ``role`` cannot run it or such USAGE would not change (a catalog knows every owner)."""
    out: list[str] = []
    schema = table.schema
    if (
        schema in model.schema_grants
        and _runner_decides(model, model.schemas.get(schema), role)
        and schema_usage(model, schema, role) is None
    ):
        out.append(f"schema {schema}")
    for sequence in unusable_sequences(model, table, role):
        if _runner_decides(model, sequence.owner, role):
            out.append(f"sequence {qualify(sequence.schema, sequence.name)}")
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
    model: SchemaModel,
    table: Table,
    role: str,
    privileges: list[str],
    reach: dict[str, bool] | None = None,
) -> list[DefaultPrivilege]:
    """Default privileges by which tables created later will grant ``role`` (or a role it reaches)."""
    if reach is None:
        reach = reachable_roles(model, role)
    return [e for e in future_table_grants(model, table, privileges) if e.grantee in reach]


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
        # the model keys a sequence by its qualified name: a lookup, not a scan of every
        # sequence for every serial column (quadratic in tables on a schema of serial keys)
        sequence = model.sequences.get(qualify(*wanted))
        if sequence is None or (sequence.schema, sequence.name) != wanted:
            sequence = next(
                (s for s in model.sequences.values() if (s.schema, s.name) == wanted), None
            )
        if sequence is not None:
            found.append(sequence)
    return found


class BlockedUsage:
    """What keeps a role's table grants from working, as ``init`` pins it.

    A role can hold SELECT or INSERT on a table and still not use them: a hardened schema
    revokes USAGE on it (Supabase projects that ``REVOKE ALL ON SCHEMA public FROM anon``),
    or INSERT meets a ``nextval()`` default whose sequence the role may not use. The privilege
    kind judges grants on what roles can really do, so a plain ``grant:`` of such a role FAILs
    on the very database ``init`` read. ``init`` writes the blocked state instead
    (``schema_usage: false``, ``sequence_usage: false``), which the audit holds both ways.
    Where the blockage depends on the role that runs a history read statically (the schema
    or sequence is the runner's, and the role may be it: supabase/auth run as postgres) it
    writes ``any``: neither state is known, and either pinned FAILs some database the history
    builds. Answers per role and per (schema, role) are kept: init asks for every table.
    """

    def __init__(self, model: SchemaModel) -> None:
        self.model = model
        self._reach: dict[str, dict[str, bool]] = {}
        self._schema: dict[tuple[str, str], bool | str] = {}

    def pairs(self, table: Table, role: str, granted: list[str]) -> list[tuple[str, bool | str]]:
        """``[("schema_usage", False)]`` and/or ``[("sequence_usage", False)]`` (``"any"``
        instead of False where the runner decides), else []."""
        reach = self._reach.get(role)
        if reach is None:
            reach = self._reach[role] = reachable_roles(self.model, role)
        out: list[tuple[str, bool | str]] = []
        usable = self._schema.get((table.schema, role))
        if usable is None:
            usable = schema_usage(self.model, table.schema, role, reach) is not None
            if not usable:
                owner = self.model.schemas.get(table.schema)
                usable = "any" if _runner_decides(self.model, owner, role) else False
            self._schema[table.schema, role] = usable
        if usable is not True:
            out.append(("schema_usage", usable))
        if "INSERT" in granted and lacks_sequence_usage(self.model, table, role, reach):
            lacking = unusable_sequences(self.model, table, role, reach)
            runners = all(_runner_decides(self.model, s.owner, role) for s in lacking)
            out.append(("sequence_usage", "any" if runners else False))
        return out


def lacks_sequence_usage(
    model: SchemaModel, table: Table, role: str, reach: dict[str, bool]
) -> bool:
    """True when ``role`` may INSERT into ``table`` but a ``nextval()`` default's sequence
    gives it neither USAGE nor UPDATE: its INSERT fails unless it sets that column."""
    lacking = unusable_sequences(model, table, role, reach)
    return bool(lacking) and "INSERT" in table_access(model, table, role, reach)


def unusable_sequences(
    model: SchemaModel, table: Table, role: str, reach: dict[str, bool] | None = None
) -> list[Sequence]:
    """The sequences of ``table``'s ``nextval()`` defaults that give ``role`` neither USAGE
    nor UPDATE (nextval() needs one of them)."""
    return [
        s
        for s in serial_sequences(model, table)
        if not {"USAGE", "UPDATE"} & set(sequence_access(model, s, role, reach))
    ]
