"""CREATE TABLE: columns (serial, identity, generated), LIKE, INHERITS, PARTITION OF."""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import ConstrType

from schema_audit import collation
from schema_audit.model import Column, Provenance, Sequence, Table, qualify, quote_ident
from schema_audit.sources.ddl import inheritance
from schema_audit.sources.ddl.colsettings import copy_settings, set_setting, set_storage
from schema_audit.sources.ddl.constraints import (
    ColumnConstraint,
    apply_constraint,
    read_of,
    without_redundant_indexes,
)
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.function_schemas import qualified_calls
from schema_audit.sources.ddl.implicit import promote_integer_columns
from schema_audit.sources.ddl.like import LIKE_INDEXES, copy_indexes
from schema_audit.sources.ddl.nodes import create_reloptions, deparse, strings
from schema_audit.sources.ddl.operand_bases import operand_bases
from schema_audit.sources.ddl.partition_key_volatility import refuse_partition_key
from schema_audit.sources.ddl.partitions import (
    clone_into_partition,
    partition_bound,
    partition_column,
)
from schema_audit.sources.ddl.refusals import refuse_column
from schema_audit.sources.ddl.registry import handles
from schema_audit.sources.ddl.sequence_literals import resolved_nextval
from schema_audit.sources.ddl.sequences import RANGES
from schema_audit.sources.ddl.storage import relation_access_method, relation_tablespace
from schema_audit.sources.ddl.temp_shadows import shadowing
from schema_audit.sources.ddl.toast import apply_toast
from schema_audit.sources.names import choose_name
from schema_audit.sqlnorm import BUILTIN_TYPE_NAMES, format_typename

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


@handles(ast.CreateStmt)
def create_table(interp: DdlInterpreter, node: ast.CreateStmt) -> None:
    """CREATE TABLE, with its columns, constraints, LIKE, INHERITS and PARTITION OF / BY."""
    rv = node.relation
    schema = interp.creation_schema(rv)
    key = qualify(schema, rv.relname)
    if key in interp.model.tables:
        if node.if_not_exists:
            return
        raise ApplyError(f"table {key} already exists")
    for element in node.tableElts or ():
        if isinstance(element, ast.ColumnDef):
            refuse_column(interp, element)  # (before anything is made: refused whole)
    if node.partspec is not None:
        refuse_partition_key(interp, node.partspec, declared_types(interp, node))
    table = new_table(
        interp, schema, rv.relname, create_reloptions(node.options), rv.relpersistence == "u"
    )
    if node.partspec is not None:
        table.kind = "partitioned"
    if node.partbound is not None and node.inhRelations:
        parent = node.inhRelations[0]
        parent_key = qualify(interp._schema_of(parent), parent.relname)
        table.partition_of = parent_key
        parent_table = interp.model.tables.get(parent_key)
        table.partition_bound = partition_bound(
            interp, table.qualified_name, node.partbound, parent_table
        )
        if parent_table:
            for col in parent_table.columns.values():
                table.columns[col.name] = partition_column(interp, col)
    if node.partbound is None and node.inhRelations:
        parents = [interp._table(parent) for parent in node.inhRelations]
        for parent_table in parents:  # INHERITS: the parents' columns come first
            copy_columns(interp, parent_table, table, LIKE_ALL, inherited=True)
        local = {e.colname for e in node.tableElts or () if isinstance(e, ast.ColumnDef)}
        inheritance.remember(interp, table, [p for p in parents if p is not None], local)
    parent_of = interp.model.tables.get(table.partition_of) if table.partition_of else None
    table.tablespace = relation_tablespace(interp, node.tablespacename, parent_of)
    table.access_method = relation_access_method(
        interp, node.accessMethod, table.kind == "partitioned"
    )
    interp.model.tables[key] = table
    interp._relations[key] = "table"
    deferred: list[ast.Constraint | ColumnConstraint] = []
    likes: list[tuple[Table, bool]] = []  # LIKE … INCLUDING INDEXES: after the table's own
    for element in node.tableElts or ():
        if isinstance(element, ast.ColumnDef):
            if element.colname in table.columns and node.inhRelations:
                # a column the parent already has, restated (merged by PostgreSQL): its own
                # NOT NULL, DEFAULT and constraints apply (`PARTITION OF p (a DEFAULT 5)`)
                column = table.columns[element.colname]
                deferred.extend(column_constraints(interp, table, column, element, merged=True))
                continue
            deferred.extend(add_column(interp, table, element))
        elif isinstance(element, ast.Constraint):
            deferred.append(element)
        elif isinstance(element, ast.TableLikeClause):
            source = interp._table(element.relation)
            copy_columns(interp, source, table, element.options or 0)
            if source is not None and (element.options or 0) & LIKE_INDEXES:
                likes.append((source, bool((element.options or 0) & LIKE_COMMENTS)))
    if node.partspec is not None:
        table.partition_key = partition_key(interp, table, node.partspec)
    for read in without_redundant_indexes([read_of(item) for item in deferred]):
        apply_constraint(interp, table, read, new_table=True)
    for source, comments in likes:
        copy_indexes(interp, source, table, comments)
    if table.partition_of and table.partition_of in interp.model.tables:
        clone_into_partition(interp, interp.model.tables[table.partition_of], table)
    apply_toast(interp, table, node.options, created=True)


def declared_types(interp: DdlInterpreter, node: ast.CreateStmt) -> dict[str, str]:
    """The types of the columns CREATE TABLE ``node`` will make, before it makes them: a
    parent's (PARTITION OF, INHERITS), a LIKE source's, then its own."""
    types: dict[str, str] = {}
    sources = [
        interp.model.tables.get(qualify(interp._schema_of(r), r.relname))
        for r in node.inhRelations or ()
    ]
    sources += [
        interp.model.tables.get(qualify(interp._schema_of(e.relation), e.relation.relname))
        for e in node.tableElts or ()
        if isinstance(e, ast.TableLikeClause)
    ]
    for source in sources:
        types.update({c.name: c.type for c in source.columns.values()} if source else {})
    for element in node.tableElts or ():
        if isinstance(element, ast.ColumnDef) and element.typeName is not None:
            types[element.colname] = format_typename(element.typeName)
    return types


def new_table(
    interp: DdlInterpreter, schema: str, name: str, options: dict[str, str], unlogged: bool
) -> Table:
    """A table as CREATE TABLE makes it: the creating role's default grants, no columns yet."""
    return Table(
        schema,
        name,
        grants=interp._defaults_for("tables", schema),
        provenance=[interp._prov()],
        options=options,
        unlogged=unlogged,
    )


def add_column(
    interp: DdlInterpreter, table: Table, cd: ast.ColumnDef, action: str = "created"
) -> list[ColumnConstraint]:
    """Add a column; return its column constraints that need the table (PK, UNIQUE, FK, CHECK)."""
    names = strings(cd.typeName.names)
    serial = SERIAL_TYPES.get(names[-1]) if len(names) == 1 else None
    column = place_column(
        interp,
        table,
        cd.colname,
        serial or format_typename(cd.typeName),
        serial is not None,
        strings(cd.collClause.collname) if cd.collClause is not None else None,
        action,
        searched=searched_names(names),
    )
    pending = column_constraints(interp, table, column, cd)
    if cd.compression and cd.compression != "default":  # … COMPRESSION lz4 (PostgreSQL 14+)
        set_setting(column, "compression", cd.compression)
    if cd.storage_name:  # … STORAGE external (PostgreSQL 16+)
        set_storage(column, cd.storage_name, is_enum(interp, column.type))
    return pending


def column_constraints(
    interp: DdlInterpreter, table: Table, column: Column, cd: ast.ColumnDef, merged: bool = False
) -> list[ColumnConstraint]:
    """Apply a column definition's NOT NULL, DEFAULT, identity and generation to ``column``;
    return its constraints that need the table (PK, UNIQUE, FK, CHECK). ``merged``: a column
    a parent (INHERITS, PARTITION OF) already gave the table, restated with options."""
    pending: list[ColumnConstraint] = []
    for con in cd.constraints or ():
        kind = con.contype
        if kind == ConstrType.CONSTR_NOTNULL:
            column.nullable = False
        elif kind == ConstrType.CONSTR_NULL and not merged:  # (a parent's NOT NULL stays)
            column.nullable = True
        elif kind == ConstrType.CONSTR_DEFAULT:
            column.default = resolved_nextval(
                interp, qualified_calls(interp, deparse(con.raw_expr))
            )
        elif kind == ConstrType.CONSTR_IDENTITY:
            column.identity = "always" if con.generated_when == "a" else "by default"
            column.nullable = False
        elif kind == ConstrType.CONSTR_GENERATED:
            con.raw_expr = promote_integer_columns(
                con.raw_expr, table.columns, operand_bases(interp)
            )
            column.generated = qualified_calls(interp, deparse(con.raw_expr))
        elif (
            kind in (ConstrType.CONSTR_ATTR_DEFERRABLE, ConstrType.CONSTR_ATTR_DEFERRED) and pending
        ):
            # DEFERRABLE / INITIALLY DEFERRED qualify the constraint written just before them.
            previous = pending[-1].constraint
            previous.deferrable = True
            if kind == ConstrType.CONSTR_ATTR_DEFERRED:
                previous.initdeferred = True
        elif kind in (
            ConstrType.CONSTR_PRIMARY,
            ConstrType.CONSTR_UNIQUE,
            ConstrType.CONSTR_FOREIGN,
            ConstrType.CONSTR_CHECK,
            ConstrType.CONSTR_EXCLUSION,
        ):
            pending.append(ColumnConstraint(con, cd.colname))
    return pending


def place_column(
    interp: DdlInterpreter,
    table: Table,
    name: str,
    type_text: str,
    serial: bool,
    collation_names: list[str] | None,
    action: str = "created",
    prov: Provenance | None = None,
    searched: bool = True,
) -> Column:
    """The column ``name type_text [COLLATE …]`` appended to ``table``; a serial column
    (``type_text`` is then the serial's integer type) with its sequence and default.
    ``prov``: ``interp._prov(action)`` when the caller has it (a CREATE TABLE's 23 columns
    share it: asked once, not once a column). ``searched``: False for a type written
    ``pg_catalog.x`` (``searched_names``)."""
    if prov is None:
        prov = interp._prov(action)
    column = Column(
        name, searched_type(interp, type_text) if searched else type_text, provenance=[prov]
    )
    if collation_names is not None:
        column.collation = collation_of(interp, collation_names)
    if name in table.columns:
        raise ApplyError(f"column {name} of {table.qualified_name} already exists")
    table.columns[name] = column
    if serial:
        seq = make_seq_name(table, name, interp)
        # as the catalog prints it with an empty search_path (pg_dump, the live reader)
        column.default = f"nextval('{qualify(table.schema, seq)}'::regclass)"
        column.nullable = False
        sequence = Sequence(
            table.schema,
            seq,
            f"{table.name}.{name}",
            grants=interp._defaults_for("sequences", table.schema),
            provenance=[interp._prov()],
        )
        # a serial's sequence is AS the column's type (smallint, integer or bigint)
        sequence.data_type = type_text if type_text in RANGES else "bigint"
        sequence.maxvalue = RANGES[sequence.data_type][1]
        interp.model.sequences[qualify(table.schema, seq)] = sequence
        interp._relations[qualify(table.schema, seq)] = "sequence"
        if table.schema == "pg_temp":
            shadowing(interp, seq)
            interp._temp.add(seq)  # a temporary table's serial: gone with it (end_session)
    return column


# expressions pg_get_partkeydef prints bare (ruleutils' looks_like_function)
_FUNCTION_LIKE = (ast.FuncCall, ast.CoalesceExpr, ast.MinMaxExpr, ast.SQLValueFunction)


def partition_key(interp: DdlInterpreter, table: Table, spec: ast.PartitionSpec) -> str:
    """PARTITION BY as pg_get_partkeydef prints it, once the table has its columns: a column
    key's COLLATE is printed only when it is not the column's own collation."""
    elems = []
    for elem in spec.partParams:
        column = table.columns.get(elem.name) if elem.name else None
        if (
            column is not None
            and elem.collation
            and collation_of(interp, strings(elem.collation)) == column.collation
        ):
            elem = ast.PartitionElem(name=elem.name, opclass=elem.opclass)  # the parse stays
        elems.append(elem)
    params = ", ".join(partition_element(p) for p in elems)
    strategy = str(spec.strategy).upper()
    strategy = (
        {"R": "RANGE", "L": "LIST", "H": "HASH"}.get(strategy[:1], strategy)
        if len(strategy) == 1
        else ("RANGE" if "RANGE" in strategy else "LIST" if "LIST" in strategy else "HASH")
    )
    return f"{strategy} ({params})"


def partition_element(elem: ast.PartitionElem) -> str:
    """One PARTITION BY key as pg_get_partkeydef prints it: a column by name, a function
    call bare, another expression in parentheses around its own (``((a + 1))``)."""
    if elem.expr is None and elem.name:
        # a column as quote_identifier prints it: RANGE ("timestamp") for a keyword (getlago's
        # enriched_events); the printer here leaves such a keyword bare
        name, elem.name = elem.name, "x"
        rest = (deparse(elem) or "x")[1:]  # what follows the column: COLLATE, operator class
        elem.name = name
        return quote_ident(name) + rest
    text = deparse(elem) or ""
    if elem.expr is None:
        return text
    inner = deparse(elem.expr) or ""
    if not text.startswith(f"({inner})"):
        return text
    rest = text[len(inner) + 2 :]  # what follows the expression: COLLATE, operator class
    if isinstance(elem.expr, _FUNCTION_LIKE):
        return inner + rest
    return f"(({inner})){rest}"


def copy_columns(
    interp: DdlInterpreter,
    source: Table | None,
    target: Table,
    options: int,
    inherited: bool = False,
) -> None:
    """LIKE source [INCLUDING …] and INHERITS: columns with NOT NULL always, defaults,
    generated expressions and identity as the options say (an inherited column keeps all)."""
    if source is None:
        raise ApplyError("the table to copy columns from does not exist at this point")
    for col in source.columns.values():
        if col.name in target.columns:
            continue
        generated = col.generated if options & LIKE_GENERATED else None
        target.columns[col.name] = Column(
            col.name,
            col.type,
            col.nullable,
            col.default if options & LIKE_DEFAULTS and col.generated is None else None,
            identity=col.identity if options & LIKE_IDENTITY and not inherited else None,
            generated=generated,
            collation=col.collation,
            comment=col.comment if options & LIKE_COMMENTS and not inherited else None,
            provenance=[interp._prov()],
        )
        copy_settings(
            col,
            target.columns[col.name],
            storage=bool(options & LIKE_STORAGE),
            compression=bool(options & LIKE_COMPRESSION),
        )
    if options & LIKE_CONSTRAINTS:
        for name, check in source.checks.items():
            if inherited and check.no_inherit:
                continue  # a NO INHERIT check stays on the parent
            comment = check.comment if options & LIKE_COMMENTS and not inherited else None
            target.checks.setdefault(
                name, dataclasses.replace(check, provenance=[interp._prov()], comment=comment)
            )


def make_seq_name(table: Table, column: str, interp: DdlInterpreter) -> str:
    return choose_name(table.name, column, "seq", interp._name_taken(table.schema))


SERIAL_TYPES = {
    "serial": "integer",
    "serial4": "integer",
    "bigserial": "bigint",
    "serial8": "bigint",
    "smallserial": "smallint",
    "serial2": "smallint",
}


LIKE_COMMENTS, LIKE_CONSTRAINTS, LIKE_DEFAULTS, LIKE_GENERATED, LIKE_IDENTITY = 1, 4, 8, 16, 32
LIKE_COMPRESSION, LIKE_STORAGE = 2, 256


LIKE_ALL = 0x7FFFFFFF


def searched_type(interp: DdlInterpreter, type_text: str) -> str:
    """An unqualified enum, domain or row type name as the catalog prints it: under its
    schema when the search_path finds it outside public (``SET search_path = test; CREATE
    TYPE visit_type AS ENUM …; … visit_type visit_type`` is ``test.visit_type``, and so is
    ``devil_int``, a domain; PostgREST's fixtures; a table's row type, MusicBrainz's
    ``RETURNS SETOF area_containment``, is ``musicbrainz.area_containment``). A built-in
    type shadowed by such a name (pg_catalog is searched first) is not told apart. A type
    of the session's temporary schema is found first, as PostgreSQL searches pg_temp first
    for types where the search_path does not name it (``pg_temp.mood``: the column goes
    with the session, ``temp_session``)."""
    if (interp._temp_types or interp._temp) and "pg_temp" not in interp.search_path:
        name = _searched_name(type_text)
        key = qualify("pg_temp", name) if name is not None else ""
        if name in interp._temp_types or key in interp.model.tables or key in interp.model.views:
            return f"pg_temp.{type_text}"
    if type_as_written(interp, type_text):
        return type_text  # (the usual path: public first, nothing to look up)
    path = interp.search_path
    name = _searched_name(type_text)
    model = interp.model
    for schema in path:
        key = qualify(schema, name)
        if (
            key in model.enums
            or key in model.domains
            or key in model.tables
            or key in model.views
            or interp._relations.get(key) == "composite"  # known by name only (schemas.py)
        ):
            if schema in ("public", "pg_catalog"):
                return type_text
            return f"{schema}.{type_text}"
    return type_text


# built-in types the parser itself writes as pg_catalog.x (INT, VARCHAR, INTERVAL, …): those
# are searched as the written name always was
_KEYWORD_TYPES = frozenset(BUILTIN_TYPE_NAMES) | {"interval", "json"}


def searched_names(names: list[str]) -> bool:
    """Whether a type written as ``names`` is looked up on the search_path: not when written
    ``pg_catalog.x`` (PostgREST's ``pg_catalog.xml`` beside a view ``test.xml`` under ``SET
    search_path = test, pg_catalog`` is PostgreSQL's xml, which format_type prints bare; it was
    typed ``test.xml``). The parser's own ``pg_catalog.int4`` for INT is searched as before."""
    return not (len(names) == 2 and names[0] == "pg_catalog" and names[1] not in _KEYWORD_TYPES)


def written_type(interp: DdlInterpreter, typename: ast.TypeName) -> str:
    """``typename`` as the catalog prints it: :func:`searched_type` of its format_type text,
    unless it is written ``pg_catalog.x`` (:func:`searched_names`)."""
    text = format_typename(typename)
    return searched_type(interp, text) if searched_names(strings(typename.names)) else text


def type_as_written(interp: DdlInterpreter, type_text: str) -> bool:
    """Whether :func:`searched_type` gives ``type_text`` back whatever the model holds:
    qualified, or public first on the search_path."""
    path = interp.search_path
    return bool(path and path[0] == "public") or _searched_name(type_text) is None


# one quoted name, as format_type prints one that needs quotes ("text/xml", "text/xml"[])
_QUOTED_TYPE = re.compile(r'"((?:[^"]|"")+)"((?:\[\])*)')


def _searched_name(type_text: str) -> str | None:
    """The name the search_path is searched for when ``type_text`` is one unqualified name,
    quoted or not (PostgREST's domain ``"text/xml"``, whose quotes may hold a dot); None
    when it is qualified."""
    quoted = _QUOTED_TYPE.fullmatch(type_text)
    if quoted is not None:
        return quoted.group(1).replace('""', '"')
    if "." in type_text or '"' in type_text:
        return None
    return type_text.removesuffix("[]")


def is_enum(interp: DdlInterpreter, type_text: str) -> bool:
    """Whether a column type names an enum of the model (its storage is plain)."""
    return any(
        type_text in (e.name, f"{e.schema}.{e.name}", qualify(e.schema, e.name))
        for e in interp.model.enums.values()
    )


def collation_of(interp: DdlInterpreter, names: list[str]) -> str | None:
    """``COLLATE names`` as the catalog resolves it, in the model's spelling (``collation``):
    unqualified, pg_catalog's built-ins first, then a collation the history created on the
    search_path, else one of the server's own (pg_catalog). ``"default"`` is none: the
    catalog keeps the type's own collation."""
    if len(names) > 1:
        if names[-2:] == ["pg_catalog", "default"]:
            return None
        return collation.model_name(names[-2], names[-1])
    name = names[0]
    if name == "default":
        return None
    if name not in collation.BUILTIN:
        for schema in interp.search_path:
            if (schema, name) in interp.collations:
                return collation.model_name(schema, name)
    return name
