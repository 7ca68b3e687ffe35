"""INHERITS: which table inherits from which, and what reaches the children.

The model has no inheritance (the live reader holds none either: a child is a table with
its own columns and CHECKs), but an ``ALTER TABLE`` on a parent reaches every inheritance
child as PostgreSQL recurses (unless ``ONLY``): ADD COLUMN, ALTER COLUMN TYPE, SET/DROP
DEFAULT, SET/DROP NOT NULL, SET STATISTICS, SET STORAGE, an inheritable CHECK, DROP COLUMN
and DROP CONSTRAINT of what the child only inherited, RENAME COLUMN. Before, a child kept
its old columns statically while the catalog's changed (a false verdict either way). SET
COMPRESSION does not recurse (checked against PostgreSQL 15).

The links are kept on the interpreter by table object (a rename keeps them). ``inherited``
names what a child holds only through its parents (not restated locally): that is what a
parent's DROP takes from the child, as PostgreSQL's ``attislocal`` / ``conislocal`` say.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from schema_audit.model import CheckConstraint, Column, Table
from schema_audit.sources.ddl.errors import ApplyError

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

A = AlterTableType
# subcommands applied to each child as to the parent (the child's own column of that name)
_SAME_ON_CHILD = (
    A.AT_SetStatistics,
    A.AT_SetStorage,
    A.AT_ColumnDefault,
    A.AT_SetNotNull,
    A.AT_DropNotNull,
    A.AT_AlterColumnType,
)


@dataclass(slots=True)
class Link:
    """A child's parents, and what it has only through them: ("column" | "check", name)."""

    child: Table
    parents: list[Table]
    inherited: set[tuple[str, str]] = field(default_factory=set)


def has_children(interp: DdlInterpreter, table: Table) -> bool:
    """Whether an ALTER TABLE on ``table`` may reach inheritance children (cheap when the
    history has no INHERITS at all)."""
    links: dict[int, Link] | None = getattr(interp, "_inheritance", None)
    return bool(links) and bool(children_of(interp, table))


def _links(interp: DdlInterpreter) -> dict[int, Link]:
    links: dict[int, Link] | None = getattr(interp, "_inheritance", None)
    if links is None:
        links = {}
        interp._inheritance = links  # type: ignore[attr-defined]
    return links


def remember(interp: DdlInterpreter, child: Table, parents: list[Table], local: set[str]) -> None:
    """CREATE TABLE child (…) INHERITS (parents): columns and CHECKs not in ``local`` (the
    child's own definition) are the parents' only."""
    if not parents:
        return
    inherited = {("column", c) for c in child.columns if c not in local}
    inherited |= {
        ("check", name)
        for parent in parents
        for name, check in parent.checks.items()
        if not check.no_inherit
    }
    _links(interp)[id(child)] = Link(child, list(parents), inherited)
    child.inherits = [parent.qualified_name for parent in parents]


def children_of(interp: DdlInterpreter, table: Table) -> list[Table]:
    """The current direct inheritance children of ``table``."""
    return [
        link.child
        for link in _links(interp).values()
        if any(p is table for p in link.parents) and interp._is_current(link.child)
    ]


def _descendants(interp: DdlInterpreter, table: Table) -> list[Table]:
    out: list[Table] = []
    todo = children_of(interp, table)
    while todo:
        child = todo.pop(0)
        if all(child is not seen for seen in out):
            out.append(child)
            todo += children_of(interp, child)
    return out


def descendant_keys(interp: DdlInterpreter, table: Table) -> list[str]:
    """Every inheritance descendant's key, children before their own children (a DROP TABLE
    is refused while one exists outside it; CASCADE drops them all)."""
    if not getattr(interp, "_inheritance", None):
        return []
    return [child.qualified_name for child in _descendants(interp, table)]


def check_copies(table: Table) -> dict[str, CheckConstraint]:
    """The CHECKs a child inherits from ``table`` (NO INHERIT ones stay on the parent)."""
    return {name: c for name, c in table.checks.items() if not c.no_inherit}


def recurse(
    interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd, checks_before: set[str]
) -> None:
    """What one ALTER TABLE subcommand, applied to ``table``, does to its children."""
    from schema_audit.sources.ddl.alter_table import apply_subcommand  # it imports us

    if not _links(interp):
        return
    t = cmd.subtype
    if t in _SAME_ON_CHILD and cmd.name:
        for child in _descendants(interp, table):
            if cmd.name in child.columns:
                apply_subcommand(interp, child, cmd)
    elif t == A.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef) and cmd.def_.colname:
        _add_column(interp, table, cmd.def_.colname)
    elif t == A.AT_DropColumn and cmd.name:
        _drop_inherited(interp, table, "column", cmd.name, cmd)
    elif t == A.AT_DropConstraint and cmd.name:
        _drop_inherited(interp, table, "check", cmd.name, cmd)
    if t == A.AT_AddConstraint and _is_primary(cmd.def_) and table.primary_key:
        for child in _descendants(interp, table):  # ADD PRIMARY KEY recurses SET NOT NULL
            for name in table.primary_key.columns:
                if name in child.columns:
                    child.columns[name].nullable = False
    if t in (A.AT_AddColumn, A.AT_AddConstraint):
        new = {n: c for n, c in check_copies(table).items() if n not in checks_before}
        if new:
            _add_checks(interp, table, new)


def _is_primary(con: object) -> bool:
    return isinstance(con, ast.Constraint) and con.contype == ConstrType.CONSTR_PRIMARY


def _add_column(interp: DdlInterpreter, table: Table, name: str) -> None:
    source = table.columns.get(name)
    if source is None:
        return
    for child in children_of(interp, table):
        link = _links(interp)[id(child)]
        mine = child.columns.get(name)
        if mine is not None:
            if mine.type != source.type:
                raise ApplyError(
                    f'child table "{child.name}" has different type for column "{name}"'
                )
            continue  # merged with the child's own column (it stays local)
        child.columns[name] = Column(
            name,
            source.type,
            source.nullable,
            source.default if source.generated is None else None,
            generated=source.generated,
            collation=source.collation,
            provenance=[interp._prov()],
        )
        link.inherited.add(("column", name))
        _add_column(interp, child, name)


def _add_checks(interp: DdlInterpreter, table: Table, checks: dict[str, CheckConstraint]) -> None:
    for child in children_of(interp, table):
        link = _links(interp)[id(child)]
        for name, check in checks.items():
            if name not in child.checks:
                child.checks[name] = dataclasses.replace(check, provenance=[interp._prov()])
                link.inherited.add(("check", name))
        _add_checks(interp, child, checks)


def _drop_inherited(
    interp: DdlInterpreter, table: Table, kind: str, name: str, cmd: ast.AlterTableCmd
) -> None:
    """A parent's column or CHECK dropped: gone from each child that had it only from this
    parent (and from that child's children); a child's own one stays."""
    from schema_audit.sources.ddl.alter_table import apply_subcommand

    for child in children_of(interp, table):
        link = _links(interp)[id(child)]
        if (kind, name) not in link.inherited:
            continue
        others = [
            p
            for p in link.parents
            if p is not table and name in (p.columns if kind == "column" else check_copies(p))
        ]
        if others:
            continue
        link.inherited.discard((kind, name))
        present = name in (child.columns if kind == "column" else child.checks)
        if present:
            apply_subcommand(interp, child, cmd)  # its own dependents, and its children
            recurse(interp, child, cmd, set())


def _parent(interp: DdlInterpreter, rv: ast.Node) -> Table:
    table = interp._table(rv) if isinstance(rv, ast.RangeVar) else None
    if table is None:
        raise ApplyError("the parent table does not exist at this point of the history")
    return table


def add_parent(interp: DdlInterpreter, child: Table, rv: ast.Node) -> None:
    """ALTER TABLE child INHERIT parent: the child must already have the parent's columns (same
    type) and inheritable CHECKs, as PostgreSQL requires; they become inherited and local."""
    parent = _parent(interp, rv)
    refuse_misfit(parent, child)
    links = _links(interp)
    link = links.setdefault(id(child), Link(child, []))
    link.parents.append(parent)
    child.inherits = [p.qualified_name for p in link.parents]


def refuse_misfit(parent: Table, child: Table) -> None:
    """What PostgreSQL refuses when an existing table becomes ``parent``'s child (INHERIT) or
    partition (ATTACH PARTITION): a column of the parent missing, of another type, or NOT
    NULL on the parent and nullable on the child (an ``ADD PRIMARY KEY`` made the parent's
    key columns NOT NULL), or an inheritable CHECK missing."""
    for name, col in parent.columns.items():
        mine = child.columns.get(name)
        if mine is None:
            raise ApplyError(f'child table is missing column "{name}"')
        if mine.type != col.type:
            raise ApplyError(f'child table "{child.name}" has different type for column "{name}"')
        if not col.nullable and mine.nullable:
            raise ApplyError(f'column "{name}" in child table must be marked NOT NULL')
    for name in check_copies(parent):
        if name not in child.checks:
            raise ApplyError(f'child table is missing constraint "{name}"')


def drop_parent(interp: DdlInterpreter, child: Table, rv: ast.Node) -> None:
    """ALTER TABLE child NO INHERIT parent: what it inherited stays, as its own."""
    parent = _parent(interp, rv)
    link = _links(interp).get(id(child))
    if link is None or all(p is not parent for p in link.parents):
        raise ApplyError(f'relation "{parent.name}" is not a parent of relation "{child.name}"')
    link.parents = [p for p in link.parents if p is not parent]
    child.inherits = [p.qualified_name for p in link.parents]
    link.inherited = {
        (kind, name)
        for kind, name in link.inherited
        if any(name in (p.columns if kind == "column" else check_copies(p)) for p in link.parents)
    }


def renamed_column(interp: DdlInterpreter, table: Table, old: str, new: str) -> None:
    """RENAME COLUMN on a parent renames the column in every child that inherits it."""
    from schema_audit.sources.ddl.renames import rename_column  # it imports us

    for child in children_of(interp, table):
        if old in child.columns:
            rename_column(interp, child, old, new)
            link = _links(interp)[id(child)]
            if ("column", old) in link.inherited:
                link.inherited.discard(("column", old))
                link.inherited.add(("column", new))
            renamed_column(interp, child, old, new)


def refuse(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd, only: bool) -> None:
    """What PostgreSQL refuses on an inheritance tree before changing anything: ``ONLY`` on a
    parent for what must reach the children (a column, an inheritable CHECK, a type), and on
    a child a change of a column it inherits (drop, type)."""
    if not getattr(interp, "_inheritance", None):
        return
    t = cmd.subtype
    if only and children_of(interp, table):
        if t == A.AT_AddColumn:
            raise ApplyError("column must be added to child tables too")
        con = cmd.def_
        if (
            t == A.AT_AddConstraint
            and isinstance(con, ast.Constraint)
            and con.contype == ConstrType.CONSTR_CHECK
            and not con.is_no_inherit
        ):
            raise ApplyError("constraint must be added to child tables too")
        if t == A.AT_AlterColumnType and cmd.name:
            raise ApplyError(
                f'type of inherited column "{cmd.name}" must be changed in child tables too'
            )
    if cmd.name and _inherits_column(interp, table, cmd.name):
        if t == A.AT_DropColumn:
            raise ApplyError(f'cannot drop inherited column "{cmd.name}"')
        if t == A.AT_AlterColumnType:
            raise ApplyError(f'cannot alter inherited column "{cmd.name}"')


def refuse_rename(interp: DdlInterpreter, table: Table, column: str, only: bool) -> None:
    """RENAME COLUMN: not of an inherited column on a child, not ONLY on a parent."""
    if not getattr(interp, "_inheritance", None):
        return
    if _inherits_column(interp, table, column):
        raise ApplyError(f'cannot rename inherited column "{column}"')
    if only and column in table.columns and children_of(interp, table):
        raise ApplyError(f'inherited column "{column}" must be renamed in child tables too')


def _inherits_column(interp: DdlInterpreter, table: Table, column: str) -> bool:
    link = _links(interp).get(id(table))
    return link is not None and any(
        column in parent.columns for parent in link.parents if interp._is_current(parent)
    )


def parent_moved(interp: DdlInterpreter, table: Table, old_key: str) -> None:
    """``table`` renamed or moved to another schema (``old_key`` its name before): its
    children's ``inherits`` and its partitions' ``partition_of`` name it anew (pg_inherits
    holds it by oid; a partition kept the old name statically, a false FAIL against the
    catalog, which prints the new one)."""
    for link in (getattr(interp, "_inheritance", None) or {}).values():
        if link.parents:
            link.child.inherits = [p.qualified_name for p in link.parents]
    if table.partition_key:  # only a partitioned table has partitions
        for other in interp.model.tables.values():
            if other.partition_of == old_key:
                other.partition_of = table.qualified_name
