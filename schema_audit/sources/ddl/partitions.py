"""What a partitioned table clones into its partitions (keys, indexes, foreign keys).

PostgreSQL creates them on CREATE TABLE … PARTITION OF, ATTACH PARTITION and on
indexes/constraints added to the parent later, with names chosen from the partition's.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from schema_audit import sqltime
from schema_audit.model import (
    Column,
    ForeignKey,
    Index,
    PrimaryKey,
    Table,
    UniqueConstraint,
    qualify,
)
from schema_audit.sources import effects as fx
from schema_audit.sources.ddl import index_links
from schema_audit.sources.ddl.colsettings import copy_settings
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.nodes import strings
from schema_audit.sources.ddl.storage import index_tablespace
from schema_audit.sources.names import choose_name

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


def partitions_of(interp: DdlInterpreter, parent: Table) -> list[Table]:
    """The partitions directly below ``parent``: none unless it is partitioned, without a
    walk of every table (a RENAME COLUMN asks on every table; tests/test_resource_limits.py)."""
    if parent.kind != "partitioned":
        return []
    return [t for t in interp.model.tables.values() if t.partition_of == parent.qualified_name]


def clone_into_partition(interp: DdlInterpreter, parent: Table, child: Table) -> None:
    """The parent's primary key, unique and non-constraint indexes and foreign keys, as PostgreSQL
    creates them on a new partition (index names chosen from the partition's name), down to
    the partition's own partitions. The primary key's columns become NOT NULL on every
    partition (ADD PRIMARY KEY recurses SET NOT NULL; a UNIQUE does not)."""
    if parent.primary_key:
        for column in parent.primary_key.columns:
            if column in child.columns:
                child.columns[column].nullable = False
        if child.primary_key is None:
            name = choose_name(child.name, None, "pkey", interp._name_taken(child.schema))
            child.primary_key = PrimaryKey(
                name, list(parent.primary_key.columns), provenance=[interp._prov()]
            )
    attached: set[str] = set()
    for index in parent.indexes.values():
        clone_index(interp, index, child, attached)
    for fk in parent.foreign_keys.values():
        clone_foreign_key(interp, fk, child)
    if child.kind == "partitioned":
        for partition in partitions_of(interp, child):
            clone_into_partition(interp, child, partition)


def refuse_attach(parent: Table, child: Table) -> None:
    """What PostgreSQL refuses on ATTACH PARTITION before attaching: a column the parent does
    not have, then what INHERIT refuses too (a missing or retyped column, a NOT NULL of the
    parent's (its primary key's columns) nullable on the table, a missing CHECK). Accepted
    before, the table became a partition statically though the history stops there."""
    from schema_audit.sources.ddl.inheritance import refuse_misfit  # it reaches alter_table

    for name in child.columns:
        if name not in parent.columns:
            raise ApplyError(
                f'table "{child.name}" contains column "{name}" not found in parent '
                f'"{parent.name}"',
                "datatype_mismatch",
            )
    refuse_misfit(parent, child)


def refuse_only(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    """``ALTER TABLE ONLY`` on a partitioned table: ADD PRIMARY KEY and SET NOT NULL need the
    columns NOT NULL on each partition already (the key is not cloned into them), as
    PostgreSQL requires; before, the key was added statically all the same."""
    if cmd.subtype == AlterTableType.AT_SetNotNull and cmd.name:
        columns = [cmd.name]
    elif (
        cmd.subtype == AlterTableType.AT_AddConstraint
        and isinstance(cmd.def_, ast.Constraint)
        and cmd.def_.contype == ConstrType.CONSTR_PRIMARY
        and not cmd.def_.indexname
    ):
        columns = strings(cmd.def_.keys)
    else:
        return
    for partition in partitions_of(interp, table):
        for name in columns:
            column = partition.columns.get(name)
            if column is not None and column.nullable:
                raise ApplyError(
                    "constraint must be added to child tables too: column "
                    f'"{name}" of relation "{partition.name}" is not already NOT NULL'
                )


def clone_index(
    interp: DdlInterpreter, index: Index, child: Table, attached: set[str] | None = None
) -> Index | None:
    """``index``'s clone on ``child`` (None: the child has an equal index not yet attached to
    another of the parent's, which PostgreSQL attaches instead). ``attached``: the child's
    indexes matched so far, in the parent's index order (AttachPartitionEnsureIndexes)."""
    taken = attached if attached is not None else set()
    parent = interp.model.tables.get(child.partition_of or "")
    matched = _matching(index, child, taken)
    if matched is not None:  # created explicitly (pg_dump writes each partition's index itself)
        if parent is not None:
            index_links.link(interp, child, child.indexes[matched], parent, index)
        return None
    if index.primary:
        name = child.primary_key.name if child.primary_key else f"{child.name}_pkey"
    else:
        parts = [k.expression if k.is_column else "expr" for k in index.keys] + index.include
        label = "key" if index.constraint else "idx"
        name = choose_name(child.name, "_".join(parts), label, interp._name_taken(child.schema))
    clone = Index(
        name,
        list(index.keys),
        unique=index.unique,
        method=index.method,
        where=index.where,
        include=list(index.include),
        nulls_not_distinct=index.nulls_not_distinct,
        constraint=name if index.constraint else None,
        primary=index.primary,
        provenance=[interp._prov()],
        options=dict(index.options),  # DefineIndex clones the parent's WITH (…)
        tablespace=index_tablespace(interp, None, index),  # and its tablespace, if any
    )
    if index.constraint and not index.primary:
        child.uniques[name] = UniqueConstraint(
            name, [k.expression for k in index.keys], provenance=[interp._prov()]
        )
    interp._relations[qualify(child.schema, name)] = "index"
    interp._home(child, name)
    child.indexes[name] = clone
    taken.add(name)
    if parent is not None:
        index_links.link(interp, child, clone, parent, index)
    return clone


def clone_new_index(interp: DdlInterpreter, parent: Table, index: Index) -> None:
    """CREATE INDEX on a partitioned table: each partition attaches an equal index of its own
    that no other of the parent's indexes holds, or gets a clone, down to sub-partitions."""
    waiting = getattr(interp, "_unattached", {})
    for child in partitions_of(interp, parent):
        attached: set[str] = set()
        for other in parent.indexes.values():
            # an ON ONLY index this partition has attached nothing to holds none of its indexes
            entry = waiting.get(id(other))
            if other is not index and not (entry and child.qualified_name in entry[1]):
                _matching(other, child, attached)
        clone = clone_index(interp, index, child, attached)
        if clone is not None and child.kind == "partitioned":
            clone_new_index(interp, child, clone)


def _matching(index: Index, child: Table, taken: set[str]) -> str | None:
    """The first of the child's indexes PostgreSQL would attach to ``index`` (same keys,
    predicate, INCLUDE, method and uniqueness, as CompareIndexInfo; backing a constraint if
    ``index`` does; not in ``taken``), now taken. A guess where the history attached indexes
    itself (ALTER INDEX … ATTACH PARTITION is not modelled): the first free equal one."""
    for existing in child.indexes.values():
        if (
            existing.name not in taken
            and existing.keys == index.keys
            and existing.where == index.where
            and existing.include == index.include
            and (existing.unique, existing.method, existing.nulls_not_distinct)
            == (index.unique, index.method, index.nulls_not_distinct)
            and (existing.constraint is not None or index.constraint is None)
        ):
            taken.add(existing.name)
            return existing.name
    return None


def index_on_only(interp: DdlInterpreter, table: Table, index: Index) -> None:
    """CREATE INDEX … ON ONLY a partitioned table: nothing is cloned, and with partitions the
    index is INVALID until each of them has an index attached to it (ALTER INDEX … ATTACH
    PARTITION; a partition made later gets an attached clone). Before, it was valid
    statically while the catalog's was not: an index requirement PASSed an index the live
    audit FAILs ("it is INVALID")."""
    waiting = {t.qualified_name for t in partitions_of(interp, table)}
    if waiting:
        index.valid = False
        unattached(interp)[id(index)] = (index, waiting)


def unattached(interp: DdlInterpreter) -> dict[int, tuple[Index, set[str]]]:
    """The INVALID ON ONLY indexes (by identity) and the partitions each waits for."""
    found = getattr(interp, "_unattached", None)
    if found is None:
        found = interp._unattached = {}  # type: ignore[attr-defined]
    return found


def attach_index(interp: DdlInterpreter, parent: Index, child_schema: str, child: str) -> None:
    """ALTER INDEX parent ATTACH PARTITION child: the partition holding ``child`` no longer
    keeps ``parent`` INVALID; the last one makes it valid (validatePartitionedIndex)."""
    entry = getattr(interp, "_unattached", {}).get(id(parent))
    found = interp._index_owner(child_schema, child)
    if found is None:
        return
    owner = interp.model.tables.get(getattr(found[0], "partition_of", None) or "")
    if owner is not None:
        index_links.link(interp, found[0], found[1], owner, parent)
    if entry is None:
        return
    entry[1].discard(found[0].qualified_name)
    if not entry[1]:
        parent.valid = True
        del interp._unattached[id(parent)]  # type: ignore[attr-defined]


def clone_foreign_key(interp: DdlInterpreter, fk: ForeignKey, child: Table) -> None:
    if fk.name in child.foreign_keys:
        return
    interp._refers(child, fk.ref_schema, fk.ref_table)
    child.foreign_keys[fk.name] = dataclasses.replace(
        fk,
        columns=list(fk.columns),
        ref_columns=list(fk.ref_columns),
        provenance=[interp._prov()],
    )


def partition_bound(
    interp: DdlInterpreter, key: str, bound: ast.PartitionBoundSpec, parent: Table | None = None
) -> str | None:
    """``bound_text``; a bound computed by an expression (``FROM (now())``, ``IN (lower('A'))``)
    is stored by PostgreSQL as the value it had when the partition was made, not known here:
    None, and the statement listed as not applied for that partition's bound (what reads it
    is DEFERRED, never compared with a guess; ``init`` writes ``partition_bound: null``)."""
    text = bound_text(bound, key_time_types(parent))
    if text is None:
        interp._unapplied(
            "unsupported",
            f"the partition bound of {key} is computed by an expression: PostgreSQL stores "
            "the value it had when the partition was made",
            effects=[fx.Effect("partition_bound", key)],
        )
    return text


def bound_text(
    bound: ast.PartitionBoundSpec | None, times: Sequence[str | None] = ()
) -> str | None:
    """FOR VALUES … / DEFAULT as pg_get_expr(relpartbound) prints it, for bounds of constants
    (None for an expression PostgreSQL evaluates when the partition is made: its value is not
    known here). Strings print quoted, numbers bare, MINVALUE / MAXVALUE / NULL as words.
    ``times``: per partition key, its date/time type (``sqltime.TYPES``) where it is one: a
    literal of such a key is the value PostgreSQL stores, printed as the catalog read in UTC
    prints it (``'2022-04-01 01:00:00+01'`` is ``'2022-04-01 00:00:00+00'``)."""
    if bound is None:
        return None
    if bound.is_default:
        return "DEFAULT"
    if bound.strategy == "h":
        return f"FOR VALUES WITH (modulus {bound.modulus}, remainder {bound.remainder})"
    first = times[0] if times else None
    if bound.strategy == "l":
        values = [_datum(d, first) for d in bound.listdatums or ()]
        return None if None in values else f"FOR VALUES IN ({', '.join(values)})"  # type: ignore[arg-type]
    lower = [_datum(d, _nth(times, i)) for i, d in enumerate(bound.lowerdatums or ())]
    upper = [_datum(d, _nth(times, i)) for i, d in enumerate(bound.upperdatums or ())]
    if None in lower or None in upper:
        return None
    return f"FOR VALUES FROM ({', '.join(lower)}) TO ({', '.join(upper)})"  # type: ignore[arg-type]


def _nth(times: Sequence[str | None], i: int) -> str | None:
    return times[i] if i < len(times) else None


# a partition key's type as the model spells it -> its sqltime type (typmods aside)
_TIME_TYPES = {
    "timestamp with time zone": "timestamptz",
    "timestamp without time zone": "timestamp",
    "timestamp": "timestamp",
    "date": "date",
}
_TYPMOD = re.compile(r"\(\d+\)")


def key_time_types(parent: Table | None) -> list[str | None]:
    """Per key of ``parent``'s partition key, the ``sqltime`` type of a plain column key of a
    date/time type, None for other keys (an expression, another type)."""
    if parent is None or not parent.partition_key:
        return []
    text = parent.partition_key
    out: list[str | None] = []
    for item in _top_level_items(text[text.find("(") + 1 : text.rfind(")")]):
        name = item.strip()
        name = name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()
        column = parent.columns.get(name)
        out.append(_TIME_TYPES.get(_TYPMOD.sub("", column.type)) if column else None)
    return out


def _top_level_items(text: str) -> list[str]:
    """``text`` split at the commas outside parentheses and quotes."""
    items, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return items


def _datum(node: object, time_type: str | None = None) -> str | None:
    if isinstance(node, ast.A_Const):
        if node.isnull:
            return "NULL"
        value = node.val
        if isinstance(value, ast.String):
            text = str(value.sval)
            stored = sqltime.fold(time_type, text) if time_type else None
            if stored is not None and not sqltime.depends_on_session(stored):
                text = stored  # the value, as the catalog prints it in UTC
            return "'" + text.replace("'", "''") + "'"
        if isinstance(value, ast.Integer):
            return str(value.ival)
        if isinstance(value, ast.Float):
            return str(value.fval)
        if isinstance(value, ast.Boolean):
            return "true" if value.boolval else "false"
        return None
    if isinstance(node, ast.ColumnRef) and node.fields and len(node.fields) == 1:
        word = getattr(node.fields[0], "sval", "")
        if str(word).lower() in ("minvalue", "maxvalue"):
            return str(word).upper()
    return None


def partition_column(interp: DdlInterpreter, col: Column) -> Column:
    """A partition's copy of its parent's column: its collation and generation expression
    too, its storage and compression."""
    copy = Column(
        col.name,
        col.type,
        col.nullable,
        col.default,
        generated=col.generated,
        collation=col.collation,
        provenance=[interp._prov()],
    )
    copy_settings(col, copy, storage=True, compression=True)
    return copy


def renamed_in_partitions(interp: DdlInterpreter, table: Table, old: str, new: str) -> None:
    """RENAME COLUMN on a partitioned table (not ONLY) renames it in every partition."""
    from schema_audit.sources.ddl.renames import rename_column  # it imports us

    for child in partitions_of(interp, table):
        if old in child.columns:
            rename_column(interp, child, old, new)
            renamed_in_partitions(interp, child, old, new)


# subcommands a partitioned table passes on to every partition having the column (or CHECK)
_PASSED_ON = (
    AlterTableType.AT_DropColumn,
    AlterTableType.AT_DropConstraint,
    AlterTableType.AT_ColumnDefault,
    AlterTableType.AT_SetNotNull,
    AlterTableType.AT_DropNotNull,
    AlterTableType.AT_AlterColumnType,
)


def recurse_subcommand(
    interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd, checks_before: set[str]
) -> None:
    """What one ALTER TABLE subcommand on the partitioned ``table`` (not ONLY) does to its
    partitions, down the tree: a column added, dropped, retyped, its default and NOT NULL;
    a CHECK added or dropped. A partition has its parent's columns and CHECKs only
    (PostgreSQL refuses one of its own), so each follows the parent. Before, only keys,
    indexes and foreign keys were cloned: PostgREST's ``car_models`` partitions lacked the
    column ``ALTER TABLE car_models ADD COLUMN`` gave them, and kept a dropped one."""
    from schema_audit.sources.ddl.alter_table import apply_subcommand  # it imports us

    t = cmd.subtype
    new_checks = {
        name: check
        for name, check in table.checks.items()
        if name not in checks_before and not check.no_inherit
    }
    for child in partitions_of(interp, table):
        has_it = cmd.name in (
            child.checks if t == AlterTableType.AT_DropConstraint else child.columns
        )
        if t in _PASSED_ON and has_it:
            apply_subcommand(interp, child, cmd)
        elif t == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
            source = table.columns.get(cmd.def_.colname or "")
            if source is not None and source.name not in child.columns:
                child.columns[source.name] = partition_column(interp, source)
        for name, check in new_checks.items():
            if name not in child.checks:
                child.checks[name] = dataclasses.replace(check, provenance=[interp._prov()])
        recurse_subcommand(interp, child, cmd, set(child.checks) - set(new_checks))
