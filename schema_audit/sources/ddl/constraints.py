"""Table constraints: PRIMARY KEY, UNIQUE, CHECK, FOREIGN KEY, EXCLUDE, with PostgreSQL's names.

Shared by CREATE TABLE and ALTER TABLE … ADD: unnamed constraints are named as
PostgreSQL's ChooseConstraintName would, and PRIMARY KEY / UNIQUE / EXCLUDE get the
index that backs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import ConstrType

from schema_audit.enums import ReferentialAction
from schema_audit.model import (
    CheckConstraint,
    ForeignKey,
    Index,
    IndexKey,
    PrimaryKey,
    Table,
    UniqueConstraint,
    qualify,
)
from schema_audit.pgvisit import find_all
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.function_schemas import qualified_calls
from schema_audit.sources.ddl.implicit import promote_integer_columns
from schema_audit.sources.ddl.nodes import deparse, strings
from schema_audit.sources.ddl.operand_bases import operand_bases
from schema_audit.sources.ddl.storage import index_tablespace
from schema_audit.sources.names import choose_name

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


def add_constraint(
    interp: DdlInterpreter,
    table: Table,
    con,
    column: str | None = None,
    action: str = "created",
    new_table: bool = False,
) -> None:
    """Add ``con`` to ``table``. ``new_table``: it is part of CREATE TABLE, where PostgreSQL
    marks a CHECK or FOREIGN KEY written NOT VALID valid all the same (the table is empty)."""
    if isinstance(con, ColumnConstraint):
        column, con = con.column, con.constraint
    kind = con.contype
    validated = new_table or not con.skip_validation
    if con.conname and con.conname in constraint_names(table):
        raise ApplyError(
            f'constraint "{con.conname}" for relation "{table.name}" already exists',
            "duplicate_object",
        )
    if con.indexname and table.kind == "partitioned":  # refused, not adopted (PostgreSQL 15)
        raise ApplyError(
            "ALTER TABLE / ADD CONSTRAINT USING INDEX is not supported on partitioned tables",
            "feature_not_supported",
        )
    prov = interp._prov(action)
    if kind == ConstrType.CONSTR_PRIMARY:
        columns = [column] if column else strings(con.keys)
        name = con.conname or choose_name(
            table.name, None, "pkey", interp._name_taken(table.schema)
        )
        if con.indexname:  # ADD PRIMARY KEY USING INDEX
            adopt_index(interp, table, con.indexname, name, primary=True)
            columns = table.indexes[name].column_names
        else:
            backing_index(interp, table, name, columns, con, primary=True)
        table.primary_key = PrimaryKey(name, columns, [prov])
        for col in columns:
            if col in table.columns:
                table.columns[col].nullable = False
    elif kind == ConstrType.CONSTR_UNIQUE:
        columns = [column] if column else strings(con.keys)
        name = con.conname or choose_name(
            table.name, "_".join(columns), "key", interp._name_taken(table.schema)
        )
        if con.indexname:
            adopt_index(interp, table, con.indexname, name, primary=False)
            columns = table.indexes[name].column_names
        else:
            backing_index(interp, table, name, columns, con, primary=False)
        table.uniques[name] = UniqueConstraint(
            name,
            columns,
            nulls_not_distinct=bool(con.nulls_not_distinct),
            deferrable=bool(con.deferrable),
            initially_deferred=bool(con.initdeferred),
            provenance=[prov],
        )
    elif kind == ConstrType.CONSTR_CHECK:
        con.raw_expr = promote_integer_columns(con.raw_expr, table.columns, operand_bases(interp))
        expr = qualified_calls(interp, deparse(con.raw_expr)) or ""
        mentioned = columns_in(con.raw_expr, table)
        # PostgreSQL names it after the one column the expression reads, wherever it is
        # written (a column CHECK reading two columns is <table>_check)
        label_col = mentioned[0] if len(mentioned) == 1 else None
        name = con.conname or choose_name(
            table.name, label_col, "check", lambda n: n in constraint_names(table)
        )
        table.checks[name] = CheckConstraint(
            name,
            expr,
            columns=mentioned,
            validated=validated,
            no_inherit=bool(con.is_no_inherit),
            provenance=[prov],
        )
    elif kind == ConstrType.CONSTR_FOREIGN:
        columns = [column] if column else strings(con.fk_attrs)
        pk = con.pktable
        ref_schema = interp._schema_of(pk)
        ref_key = qualify(ref_schema, pk.relname)
        ref_columns = strings(con.pk_attrs)
        ref_table = table if ref_key == table.qualified_name else interp.model.tables.get(ref_key)
        if not ref_columns:
            if ref_table is not None and ref_table.primary_key is None:
                raise ApplyError(f"referenced table {ref_key} has no primary key to reference")
            if ref_table is not None:
                ref_columns = list(ref_table.primary_key.columns)
        if ref_table is None:
            # kept (PostgreSQL had the table when it ran this), its target said to be unresolved
            interp.model.blind_spots.append(
                f"{prov.file or 'SQL'}:{prov.line or 1}: foreign key on {table.qualified_name} "
                f"references {ref_key}, "
                "which this history does not create; kept"
                + ("" if ref_columns else " with its referenced columns unknown")
            )
        name = con.conname or choose_name(
            table.name, "_".join(columns), "fkey", lambda n: n in constraint_names(table)
        )
        interp._refers(table, ref_schema, pk.relname)
        table.foreign_keys[name] = ForeignKey(
            name,
            columns,
            ref_schema,
            pk.relname,
            ref_columns,
            on_delete=ReferentialAction.from_code(con.fk_del_action).value,
            on_update=ReferentialAction.from_code(con.fk_upd_action).value,
            match=MATCH.get(con.fk_matchtype or "s", "SIMPLE"),
            deferrable=bool(con.deferrable),
            initially_deferred=bool(con.initdeferred),
            validated=validated,
            provenance=[prov],
        )
    elif kind == ConstrType.CONSTR_EXCLUSION:
        elements = [pair[0] for pair in con.exclusions or ()]
        keys = [
            IndexKey(e.name) if e.name else IndexKey(deparse(e.expr) or "", False) for e in elements
        ]
        label = "_".join(k.expression if k.is_column else "expr" for k in keys) or None
        name = con.conname or choose_name(
            table.name, label, "excl", interp._name_taken(table.schema)
        )
        interp._relations[qualify(table.schema, name)] = "index"
        interp._home(table, name)
        table.indexes[name] = Index(
            name,
            keys,
            method=con.access_method or "gist",
            where=deparse(con.where_clause),
            constraint=name,
            provenance=[prov],
            tablespace=index_tablespace(interp, getattr(con, "indexspace", None)),
        )
    elif kind == ConstrType.CONSTR_NOTNULL and column is None:
        for key in strings(con.keys):
            if key in table.columns:
                table.columns[key].nullable = False


def backing_index(
    interp: DdlInterpreter, table: Table, name: str, columns: list[str], con, primary: bool
) -> None:
    keys = [IndexKey(c) for c in columns]
    include = strings(con.including) if con.including else []
    interp._relations[qualify(table.schema, name)] = "index"
    interp._home(table, name)
    table.indexes[name] = Index(
        name,
        keys,
        unique=True,
        include=include,
        constraint=name,
        primary=primary,
        nulls_not_distinct=bool(getattr(con, "nulls_not_distinct", False)),
        provenance=[interp._prov()],
        # USING INDEX TABLESPACE, else the session's default_tablespace (storage.py)
        tablespace=index_tablespace(interp, getattr(con, "indexspace", None)),
    )


def adopt_index(
    interp: DdlInterpreter, table: Table, index_name: str, constraint_name: str, primary: bool
) -> None:
    index = table.indexes.pop(index_name, None)
    if index is None:
        raise ApplyError(f"index {index_name} does not exist on {table.qualified_name}")
    interp._relations.pop(qualify(table.schema, index_name), None)
    index.name, index.constraint, index.primary = constraint_name, constraint_name, primary
    interp._home(table, constraint_name)
    table.indexes[constraint_name] = index
    interp._relations[qualify(table.schema, constraint_name)] = "index"


def without_redundant_indexes(constraints: list) -> list:
    """CREATE TABLE's constraints without a UNIQUE that repeats the primary key or an earlier
    UNIQUE (same columns in the same order, same options): PostgreSQL builds one index and
    one constraint for them (transformIndexConstraints), keeping the primary key, and an
    unnamed survivor takes the dropped one's name."""

    def shape(item) -> tuple | None:
        con = item.constraint if isinstance(item, ColumnConstraint) else item
        if (
            con.contype not in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE)
            or con.indexname
        ):
            return None
        columns = [item.column] if isinstance(item, ColumnConstraint) else strings(con.keys)
        return (
            tuple(columns),
            tuple(strings(con.including)),
            bool(con.nulls_not_distinct),
            bool(con.deferrable),
            bool(con.initdeferred),
            tuple(deparse(o) or "" for o in con.options or ()),
            con.indexspace,
        )

    def node(item):
        return item.constraint if isinstance(item, ColumnConstraint) else item

    primary = [c for c in constraints if node(c).contype == ConstrType.CONSTR_PRIMARY]
    kept: list = list(primary[:1])
    out: list = []
    for item in constraints:
        if primary and item is primary[0]:
            out.append(item)
            continue
        mine = shape(item)
        prior = next((k for k in kept if mine is not None and shape(k) == mine), None)
        if prior is not None:
            if not node(prior).conname and node(item).conname:
                node(prior).conname = node(item).conname
            continue
        if mine is not None:
            kept.append(item)
        out.append(item)
    return out


@dataclass(slots=True)
class ColumnConstraint:
    """A column constraint (``id int PRIMARY KEY``) remembered with its column until the table exists."""

    constraint: ast.Constraint
    column: str


def constraint_names(table: Table) -> set[str]:
    names = set(table.uniques) | set(table.checks) | set(table.foreign_keys)
    if table.primary_key:
        names.add(table.primary_key.name)
    return names


def columns_in(expr: ast.Node | None, table: Table) -> list[str]:
    """Distinct table columns an expression mentions, in order of appearance."""
    out: list[str] = []
    for ref in find_all(expr, ast.ColumnRef):
        fields = strings(ref.fields)
        if fields and fields[-1] in table.columns and fields[-1] not in out:
            out.append(fields[-1])
    return out


MATCH = {"s": "SIMPLE", "f": "FULL", "p": "PARTIAL"}
