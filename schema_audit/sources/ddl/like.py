"""``CREATE TABLE … (LIKE source INCLUDING INDEXES / COMMENTS / ALL)``: the source's indexes.

PostgreSQL copies the source's primary key, UNIQUE and EXCLUDE constraints and other indexes
onto the new table (generateClonedIndexStmt), each named anew from the new table's name as
CREATE INDEX without a name would be (``d_pkey``, ``d_w_key``, ``d_name_idx``,
``d_lower_idx``), and with INCLUDING COMMENTS the indexes' comments (not a key's COMMENT
ON CONSTRAINT: PostgreSQL 15 copies only CHECK constraints' comments). The
static reading copied the columns only: the new table had no key and no index where the
catalog has them (a false FAIL of init's spec of the database, a FAIL of a spec requiring
them, and `exactly:` could not see them change).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pglast

from schema_audit.model import Index, IndexKey, PrimaryKey, Table, UniqueConstraint, qualify
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.nodes import expr_label
from schema_audit.sources.names import choose_name

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

LIKE_INDEXES = 64  # CREATE_TABLE_LIKE_INDEXES


def copy_indexes(interp: DdlInterpreter, source: Table, target: Table, comments: bool) -> None:
    """``source``'s indexes (and the constraints they back) made anew on ``target``, in the
    order they were made (PostgreSQL's, by OID); ``comments``: INCLUDING COMMENTS."""
    taken = interp._name_taken(target.schema)
    for index in list(source.indexes.values()):
        if index.primary:
            label, parts = "pkey", None
        else:
            label = "excl" if index.exclude else "key" if index.constraint else "idx"
            parts = "_".join([_label(k) for k in index.keys] + list(index.include))
        name = choose_name(target.name, parts, label, taken)
        clone = dataclasses.replace(
            index,
            name=name,
            keys=[dataclasses.replace(key) for key in index.keys],
            include=list(index.include),
            constraint=name if index.constraint else None,
            provenance=[interp._prov()],
            options=dict(index.options),
            comment=index.comment if comments else None,
            exclude=list(index.exclude),
            # not copied: a key's or EXCLUDE's COMMENT ON CONSTRAINT (only the index's),
            # CLUSTER ON, the tablespace, a catalog's printed definition
            constraint_comment=None,
            clustered=False,
            tablespace=None,
            valid=True,
            definition=None,
        )
        if index.primary:
            _primary_key(interp, source, target, name)
        elif index.constraint and not index.exclude:
            _unique(interp, source, target, index, name)
        interp._relations[qualify(target.schema, name)] = "index"
        interp._home(target, name)
        target.indexes[name] = clone


def _label(key: IndexKey) -> str:
    """A key's part of the index name: the column, or FigureIndexColname of the expression."""
    if key.is_column:
        return key.expression
    try:
        select = pglast.parse_sql(f"SELECT {key.expression}")[0].stmt
    except pglast.parser.ParseError:
        return "expr"
    targets = getattr(select, "targetList", None) or []
    return expr_label(targets[0].val) if targets else "expr"


def _primary_key(interp: DdlInterpreter, source: Table, target: Table, name: str) -> None:
    if target.primary_key is not None:
        raise ApplyError(f'multiple primary keys for table "{target.name}" are not allowed')
    key = source.primary_key
    columns = list(key.columns) if key is not None else []
    target.primary_key = PrimaryKey(name, columns, provenance=[interp._prov()])
    for column in columns:
        if column in target.columns:
            target.columns[column].nullable = False


def _unique(interp: DdlInterpreter, source: Table, target: Table, index: Index, name: str) -> None:
    unique = source.uniques.get(index.name)
    target.uniques[name] = UniqueConstraint(
        name,
        list(unique.columns) if unique is not None else index.column_names,
        nulls_not_distinct=index.nulls_not_distinct,
        deferrable=unique.deferrable if unique is not None else False,
        initially_deferred=unique.initially_deferred if unique is not None else False,
        provenance=[interp._prov()],
    )
