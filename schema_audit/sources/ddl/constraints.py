"""Table constraints: PRIMARY KEY, UNIQUE, CHECK, FOREIGN KEY, EXCLUDE, with PostgreSQL's names.

Shared by CREATE TABLE and ALTER TABLE … ADD: unnamed constraints are named as
PostgreSQL's ChooseConstraintName would, and PRIMARY KEY / UNIQUE / EXCLUDE get the
index that backs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pglast import ast
from pglast.enums import ConstrType

from schema_audit.enums import ReferentialAction
from schema_audit.model import (
    CheckConstraint,
    Column,
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
from schema_audit.sources.ddl.index_links import rekey
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
    """Add ``con`` (an ast.Constraint, or a :class:`ColumnConstraint`) to ``table``: its
    :func:`constraint_read`, applied (:func:`apply_constraint`)."""
    if isinstance(con, ColumnConstraint):
        column, con = con.column, con.constraint
    apply_constraint(interp, table, constraint_read(con, column), action, new_table)


# What ``apply_constraint`` reads of a constraint, by kind: the parsing child of a long history
# makes it as plain data from the statement's JSON (``fast.py``); the tree handlers from the
# node (``constraint_read``). Keys of every kind: kind, name, column (a column constraint's
# column, else None), indexname, deferrable, initdeferred, validated (not NOT VALID).
ConstraintRead = dict[str, Any]

_KINDS = {
    ConstrType.CONSTR_PRIMARY: "primary",
    ConstrType.CONSTR_UNIQUE: "unique",
    ConstrType.CONSTR_CHECK: "check",
    ConstrType.CONSTR_FOREIGN: "foreign",
    ConstrType.CONSTR_EXCLUSION: "exclusion",
    ConstrType.CONSTR_NOTNULL: "notnull",
}


def constraint_read(con: ast.Constraint, column: str | None = None) -> ConstraintRead:
    """What :func:`apply_constraint` reads of ``con`` (``column``: a column constraint's).
    PRIMARY KEY / UNIQUE: keys, include, nulls_not_distinct, indexspace, options (printed);
    CHECK: node (the constraint), no_inherit; FOREIGN KEY: fk_attrs, pk_schema, pk_table, pk_attrs,
    del_action, upd_action, matchtype, del_set_cols; EXCLUDE and NOT NULL: node (the constraint)."""
    kind = _KINDS.get(con.contype)
    read: ConstraintRead = {
        "kind": kind,
        "name": con.conname,
        "column": column,
        "indexname": con.indexname,
        "deferrable": bool(con.deferrable),
        "initdeferred": bool(con.initdeferred),
        "validated": not con.skip_validation,
    }
    if kind == "primary" or kind == "unique":
        read["keys"] = strings(con.keys)
        read["include"] = strings(con.including) if con.including else []
        read["nulls_not_distinct"] = bool(con.nulls_not_distinct)
        read["indexspace"] = getattr(con, "indexspace", None)
        read["options"] = tuple(deparse(o) or "" for o in con.options or ())
    elif kind == "check":
        read["node"] = con
        read["no_inherit"] = bool(con.is_no_inherit)
    elif kind == "foreign":
        pk = con.pktable
        read["fk_attrs"] = strings(con.fk_attrs)
        read["pk_schema"], read["pk_table"] = pk.schemaname, pk.relname
        read["pk_attrs"] = strings(con.pk_attrs)
        read["del_action"], read["upd_action"] = con.fk_del_action, con.fk_upd_action
        read["matchtype"] = con.fk_matchtype
        # ON DELETE SET NULL / SET DEFAULT (columns) (PostgreSQL 15)
        read["del_set_cols"] = strings(con.fk_del_set_cols) if con.fk_del_set_cols else []
    else:
        read["node"] = con
    return read


def read_of(item: ast.Constraint | ColumnConstraint) -> ConstraintRead:
    """:func:`constraint_read` of a table constraint or of a :class:`ColumnConstraint`."""
    if isinstance(item, ColumnConstraint):
        return constraint_read(item.constraint, item.column)
    return constraint_read(item)


def apply_constraint(
    interp: DdlInterpreter,
    table: Table,
    read: ConstraintRead,
    action: str = "created",
    new_table: bool = False,
) -> None:
    """Add the constraint ``read`` (:data:`ConstraintRead`) to ``table``. ``new_table``: it is
    part of CREATE TABLE, where PostgreSQL marks a CHECK or FOREIGN KEY written NOT VALID
    valid all the same (the table is empty). A CHECK read as plain data carries its printed
    text and the columns it reads (``printed``, made by the parsing child for the table's
    column types) instead of its node."""
    kind, conname, column = read["kind"], read["name"], read["column"]
    validated = new_table or read["validated"]
    if (
        conname
        and kind in ("primary", "unique", "exclusion")
        and not read["indexname"]
        and qualify(table.schema, conname) in interp._relations
    ):
        # its index takes the name first: PostgreSQL's index_create refuses a relation name
        # in use before it looks at constraints (42P07, which a DO block's handler for
        # duplicate_object does not catch; checked on PostgreSQL 15)
        raise ApplyError(f'relation "{conname}" already exists', "duplicate_table")
    if conname and conname in constraint_names(table):
        raise ApplyError(
            f'constraint "{conname}" for relation "{table.name}" already exists',
            "duplicate_object",
        )
    if read["indexname"] and table.kind == "partitioned":  # refused, not adopted (PostgreSQL 15)
        raise ApplyError(
            "ALTER TABLE / ADD CONSTRAINT USING INDEX is not supported on partitioned tables",
            "feature_not_supported",
        )
    prov = interp._prov(action)
    if kind == "primary":
        columns = [column] if column else read["keys"]
        name = conname or choose_name(table.name, None, "pkey", interp._name_taken(table.schema))
        if read["indexname"]:  # ADD PRIMARY KEY USING INDEX
            adopt_index(interp, table, read["indexname"], name, primary=True)
            columns = table.indexes[name].column_names
        else:
            backing_index(interp, table, name, columns, read, primary=True)
        table.primary_key = PrimaryKey(name, columns, [prov])
        for col in columns:
            if col in table.columns:
                table.columns[col].nullable = False
    elif kind == "unique":
        columns = [column] if column else read["keys"]
        name = conname or choose_name(
            table.name, "_".join(columns), "key", interp._name_taken(table.schema)
        )
        if read["indexname"]:
            adopt_index(interp, table, read["indexname"], name, primary=False)
            columns = table.indexes[name].column_names
        else:
            backing_index(interp, table, name, columns, read, primary=False)
        table.uniques[name] = UniqueConstraint(
            name,
            columns,
            nulls_not_distinct=read["nulls_not_distinct"],
            deferrable=read["deferrable"],
            initially_deferred=read["initdeferred"],
            provenance=[prov],
        )
    elif kind == "check":
        printed = read.get("printed")
        if printed is not None:
            text, mentioned = printed[0], list(printed[1])
        else:
            con = read["node"]
            con.raw_expr, text, mentioned = printed_check(
                con.raw_expr, table.columns, operand_bases(interp)
            )
        expr = qualified_calls(interp, text) or ""
        # PostgreSQL names it after the one column the expression reads, wherever it is
        # written (a column CHECK reading two columns is <table>_check)
        label_col = mentioned[0] if len(mentioned) == 1 else None
        name = conname or choose_name(
            table.name, label_col, "check", lambda n: n in constraint_names(table)
        )
        table.checks[name] = CheckConstraint(
            name,
            expr,
            columns=mentioned,
            validated=validated,
            no_inherit=read["no_inherit"],
            provenance=[prov],
        )
    elif kind == "foreign":
        columns = [column] if column else read["fk_attrs"]
        pk_table = read["pk_table"]
        ref_schema = interp._schema_named(read["pk_schema"], pk_table)
        ref_key = qualify(ref_schema, pk_table)
        ref_columns = read["pk_attrs"]
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
        name = conname or choose_name(
            table.name, "_".join(columns), "fkey", lambda n: n in constraint_names(table)
        )
        interp._refers(table, ref_schema, pk_table)
        table.foreign_keys[name] = ForeignKey(
            name,
            columns,
            ref_schema,
            pk_table,
            ref_columns,
            on_delete=ReferentialAction.from_code(read["del_action"]).value,
            on_update=ReferentialAction.from_code(read["upd_action"]).value,
            match=MATCH.get(read["matchtype"] or "s", "SIMPLE"),
            deferrable=read["deferrable"],
            initially_deferred=read["initdeferred"],
            validated=validated,
            provenance=[prov],
            on_delete_columns=list(read["del_set_cols"]),
        )
    elif kind == "exclusion":
        con = read["node"]
        elements = [pair[0] for pair in con.exclusions or ()]
        # each key's operator as pg_operator names it (OPERATOR(s.=) is =, as the live read)
        operators = [strings(pair[1])[-1] for pair in con.exclusions or ()]
        from schema_audit.sources.ddl.indexes import index_keys  # (indexes imports this module)

        keys = index_keys(interp, table, con.access_method or "gist", elements)
        label = "_".join(k.expression if k.is_column else "expr" for k in keys) or None
        name = conname or choose_name(table.name, label, "excl", interp._name_taken(table.schema))
        interp._relations[qualify(table.schema, name)] = "index"
        interp._home(table, name)
        table.indexes[name] = Index(
            name,
            keys,
            method=con.access_method or "gist",
            # stored as an index predicate: with the casts PostgreSQL adds (`n > '5'`: `n > 5`)
            where=deparse(
                promote_integer_columns(con.where_clause, table.columns, operand_bases(interp))
            ),
            constraint=name,
            provenance=[prov],
            tablespace=index_tablespace(interp, getattr(con, "indexspace", None)),
            exclude=operators,
            deferrable=bool(con.deferrable),
            initially_deferred=bool(con.initdeferred),
        )
    elif kind == "notnull" and column is None:
        for key in strings(read["node"].keys):
            if key in table.columns:
                table.columns[key].nullable = False


def backing_index(
    interp: DdlInterpreter,
    table: Table,
    name: str,
    columns: list[str],
    read: ConstraintRead,
    primary: bool,
) -> None:
    keys = [IndexKey(c) for c in columns]
    include = list(read["include"])
    interp._relations[qualify(table.schema, name)] = "index"
    interp._home(table, name)
    table.indexes[name] = Index(
        name,
        keys,
        unique=True,
        include=include,
        constraint=name,
        primary=primary,
        nulls_not_distinct=read["nulls_not_distinct"],
        provenance=[interp._prov()],
        # USING INDEX TABLESPACE, else the session's default_tablespace (storage.py)
        tablespace=index_tablespace(interp, read["indexspace"]),
    )


def adopt_index(
    interp: DdlInterpreter, table: Table, index_name: str, constraint_name: str, primary: bool
) -> None:
    index = table.indexes.get(index_name)
    if index is None:
        raise ApplyError(f"index {index_name} does not exist on {table.qualified_name}")
    rekey(table, index_name, constraint_name)  # (the index keeps its place)
    interp._relations.pop(qualify(table.schema, index_name), None)
    index.name, index.constraint, index.primary = constraint_name, constraint_name, primary
    interp._home(table, constraint_name)
    interp._relations[qualify(table.schema, constraint_name)] = "index"


def without_redundant_indexes(reads: list[ConstraintRead]) -> list[ConstraintRead]:
    """CREATE TABLE's constraints (their reads) without a UNIQUE that repeats the primary key
    or an earlier UNIQUE (same columns in the same order, same options): PostgreSQL builds one
    index and one constraint for them (transformIndexConstraints), keeping the primary key,
    and an unnamed survivor takes the dropped one's name."""

    def shape(read: ConstraintRead) -> tuple | None:
        if read["kind"] not in ("primary", "unique") or read["indexname"]:
            return None
        return (
            tuple([read["column"]] if read["column"] else read["keys"]),
            tuple(read["include"]),
            read["nulls_not_distinct"],
            read["deferrable"],
            read["initdeferred"],
            read["options"],
            read["indexspace"],
        )

    primary = [read for read in reads if read["kind"] == "primary"]
    kept: list[ConstraintRead] = list(primary[:1])
    out: list[ConstraintRead] = []
    for read in reads:
        if primary and read is primary[0]:
            out.append(read)
            continue
        mine = shape(read)
        prior = next((k for k in kept if mine is not None and shape(k) == mine), None)
        if prior is not None:
            if not prior["name"] and read["name"]:
                prior["name"] = read["name"]
            continue
        if mine is not None:
            kept.append(read)
        out.append(read)
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


def printed_check(
    expr: Any, columns: Mapping[str, Column], bases: Mapping[str, str] | None
) -> tuple[Any, str | None, list[str]]:
    """A CHECK's expression as PostgreSQL stores it over a table's ``columns`` (the casts it
    adds: ``implicit.promote_integer_columns``; ``bases``: ``operand_bases``), its printed
    text and the columns it reads, in order."""
    expr = promote_integer_columns(expr, columns, bases)
    return expr, deparse(expr), columns_in(expr, columns)


def columns_in(expr: ast.Node | None, columns: Mapping[str, object]) -> list[str]:
    """Distinct columns (of a table's ``columns``) an expression mentions, in order of appearance."""
    out: list[str] = []
    for ref in find_all(expr, ast.ColumnRef):
        fields = strings(ref.fields)
        if fields and fields[-1] in columns and fields[-1] not in out:
            out.append(fields[-1])
    return out


MATCH = {"s": "SIMPLE", "f": "FULL", "p": "PARTIAL"}
