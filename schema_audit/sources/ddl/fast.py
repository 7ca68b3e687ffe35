"""The statements a history is mostly made of, read from the parser's plain data.

A 1,000-table history is 9,500 statements, nine in ten of them CREATE TABLE, CREATE
INDEX and GRANT; building pglast's Python tree for them (190,000 nodes) cost as much as
interpreting them. Here those shapes are read from libpg_query's decoded JSON (dicts and
lists) and handed to the very functions the tree handlers use (``place_column``,
``apply_constraint``, ``place_index``, ``grant_on_relations``), so the model is the one the
tree path makes, byte for byte (tests compare both on every SQL fixture).

Each shape is read in two steps. The read (``_read_…``) sees the statement alone: it checks
that it understands the whole statement — every key of every dict it reads, against a
list of the keys it knows — and works out everything the statement says: a type's
``format_type`` text, an expression's printed text (pglast's printer, on the subtree
built alone: printing reads only the subtree), a constraint's data. Its result is plain
data, so the parsing child of a long history (``parse_ahead``) makes it while this process
applies the statements before (``read_ahead``). The apply step (same name without
``_read``) asks the model what the statement meets (the table exists, its columns' types),
builds the constraints' nodes and returns the change. Anything either step does not know
makes it return False before the model changed, and the statement goes to its tree
handler (the tree is parsed again from the text, or decoded from the child's JSON: the
data may have been read in part). Only then does the change run, in the order the tree
handler does, through the same functions, so an ApplyError leaves the model as the tree
handler would.

The constraints inside CREATE TABLE and ALTER TABLE … ADD are read by ``fast_constraints``;
what every reader asks of the data (keys, strings, printed expressions) is ``fast_data``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Any

from pglast import ast

from schema_audit.model import TABLE_PRIVILEGES, IndexKey, Policy, Provenance, Table, View, qualify
from schema_audit.pgparse import BUILD_ERRORS, Parsed, Pending, deparse, frozen
from schema_audit.pgvisit import find_all
from schema_audit.sources.ddl import inheritance
from schema_audit.sources.ddl.constraints import (
    ConstraintRead,
    apply_constraint,
    without_redundant_indexes,
)
from schema_audit.sources.ddl.fast_constraints import (
    _TABLE_CONSTRAINTS,
    _constraint,
    _constraint_read,
    _ConstraintItem,
    _printed_check,
)
from schema_audit.sources.ddl.fast_data import (
    _MEMO_MAX,
    _check,
    _Facts,
    _facts,
    _Lazy,
    _NotHere,
    _numeric,
    _relation,
    _strings,
    _text,
)
from schema_audit.sources.ddl.function_schemas import qualified_calls
from schema_audit.sources.ddl.implicit import INTEGER_TYPES, takes_typed_literals
from schema_audit.sources.ddl.indexes import index_target, key_collation, place_index
from schema_audit.sources.ddl.nodes import expr_label
from schema_audit.sources.ddl.privileges import grant_on_relations
from schema_audit.sources.ddl.refusals import missing_call
from schema_audit.sources.ddl.sequence_literals import resolved_nextval
from schema_audit.sources.ddl.tables import (
    SERIAL_TYPES,
    new_table,
    place_column,
    searched_names,
    type_as_written,
)
from schema_audit.sources.names import choose_name
from schema_audit.sqlnorm import canonical_opclass, format_typename

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


def apply_fast(interp: DdlInterpreter, parsed: Parsed) -> bool:
    """Apply the statement from its plain data; False (model untouched) when it is not a
    shape read here. The statement-local read is the parsing child's where it made one
    (``Pending.ahead``), else it is made here from the data."""
    base = 0  # the data's positions count from the statement's start
    if isinstance(parsed, Pending) and parsed.ahead is not None:
        (kind, read), parsed.ahead = parsed.ahead, None  # used once: a retry reads the tree
        base = parsed.base  # (its file's, where the child parsed the file whole)
    else:
        found = read_ahead(parsed)
        if found is None:
            return False
        kind, read = found
    if kind in _STORED and getattr(interp, "_storage_defaults", None):
        return False  # a default_tablespace / access method set: the tree handler's (storage.py)
    try:
        change = _STEPS[kind][1](interp, read, _Lazy(parsed, base))
    except (_NotHere, *BUILD_ERRORS):
        return False
    change()
    return True


def read_ahead(parsed: Parsed) -> tuple[str, Any] | None:
    """(node kind, what its reader reads of the statement alone) for ``apply_fast``; the
    parsing child (``parse_ahead``) makes it while this process applies earlier statements.
    None: no reader takes it whole. Plain data only (str, int, bool, None, tuples, lists,
    dicts): it crosses the pipe as ``marshal`` data."""
    kind = _kind(parsed)
    if kind is None or kind not in _STEPS:
        return None
    taken = parsed.take()
    if taken is None:
        return None
    try:
        return kind, _STEPS[kind][0](taken[1], _Lazy(parsed))
    except (_NotHere, *BUILD_ERRORS):
        return None


def _kind(parsed: Parsed) -> str | None:
    """The statement's node kind, without consuming the data."""
    data = parsed.data
    stmts = data.get("stmts") if data is not None else None
    if stmts and len(stmts) == 1:
        stmt = stmts[0].get("stmt")
        if stmt.__class__ is dict and len(stmt) == 1:
            return next(iter(stmt))
    return None


def _type_text(type_name: dict, nodes: _Lazy) -> tuple[list[str], str]:
    """(names, ``format_typename`` text) of a TypeName, by what ``format_typename`` reads:
    the names, the type modifiers (without positions), whether it is an array."""
    _check(type_name, _TYPE_NAME_KEYS)
    if type_name.get("typemod", -1) != -1:
        raise _NotHere
    names = _strings(type_name["names"])
    mods = type_name.get("typmods")
    key = (tuple(names), _typmods(mods) if mods else None, bool(type_name.get("arrayBounds")))
    text = _TYPES.get(key)
    if text is None:
        node = nodes.node({"TypeName": type_name})
        text = format_typename(node)
        if len(_TYPES) >= _MEMO_MAX:
            _TYPES.clear()
        _TYPES[key] = text
    return names, text


_TYPES: dict[Hashable, str] = {}


def _typmods(mods: list) -> Hashable:
    """A memo key of a type's modifiers: the integers of ``varchar(64)``, ``numeric(12,2)``
    (a tuple of them, where each is exactly ``{"A_Const": {"ival": {"ival": N}, "location":
    …}}``), else ``frozen`` of them (bytes, or a tuple led by its list marker: never equal
    to a tuple of integers). Half a history's columns may have such modifiers, and
    ``frozen`` encodes and searches each (≈ 3 µs; this ≈ 1)."""
    out = []
    for mod in mods:
        const = mod.get("A_Const") if mod.__class__ is dict and len(mod) == 1 else None
        if const.__class__ is not dict or len(const) != 2 or "location" not in const:
            return frozen(mods)
        value = const.get("ival")
        if value.__class__ is not dict or len(value) != 1 or value.get("ival").__class__ is not int:
            return frozen(mods)
        out.append(value["ival"])
    return tuple(out)


# -- CREATE TABLE ----------------------------------------------------------------------


def _read_create_table(body: dict, nodes: _Lazy) -> tuple:
    """CREATE TABLE name (columns and constraints): no LIKE, INHERITS, PARTITION, options,
    TEMP/UNLOGGED, tablespace or access method (those: the tree handler)."""
    _check(body, _CREATE_KEYS)
    if body.get("oncommit") != "ONCOMMIT_NOOP":
        raise _NotHere
    schemaname, name = _relation(body["relation"])
    columns: list[_ColumnRead] = []
    seen: set[str] = set()
    # (after this many columns, its read: _constraint)
    table_constraints: list[tuple[int, _ConstraintItem]] = []
    for element in body.get("tableElts", ()):
        if element.__class__ is not dict or len(element) != 1:
            raise _NotHere
        cd = element.get("ColumnDef")
        if cd is None:
            con = element.get("Constraint")
            if con is None:
                raise _NotHere  # LIKE …
            table_constraints.append((len(columns), _constraint(con, None)))
            continue
        column = _column(cd, nodes)
        if column[0] in seen:
            raise _NotHere  # the tree handler's error, after the columns before it
        seen.add(column[0])
        columns.append(column)
    items = [item for _, item in table_constraints]
    items += [item for column in columns for step, item in column[4] if step == "constraint"]
    types = {column[0]: column[1] for column in columns}
    for read, data in items:
        if read is not None and read["kind"] == "check":
            read["printed"] = _printed_check(data["raw_expr"], types, nodes)
    return schemaname, name, columns, table_constraints


def _create_table(interp: DdlInterpreter, read: tuple, nodes: _Lazy) -> Callable[[], None]:
    """:func:`_read_create_table`'s table made, where the model has no table of that name
    (IF NOT EXISTS or the error: the tree handler's)."""
    schemaname, name, read_columns, read_constraints = read
    schema = schemaname or interp.search_path[0]
    key = qualify(schema, name)
    if key in interp.model.tables or schema == "pg_temp":
        raise _NotHere  # (in pg_temp: temporary, the tree handler's creation_schema)
    # a CHECK printed for the columns' types as written holds where the model gives each
    # column that type and no domain's base type takes part (else: printed here, from its node)
    # (public first on the search_path: every type is as written, nothing to ask per column)
    path = interp.search_path
    printed = not interp.model.domains and (
        bool(path and path[0] == "public")
        or all(type_as_written(interp, column[1]) for column in read_columns)
    )
    table_constraints = [
        (after, _constraint_read(item, None, nodes, printed)) for after, item in read_constraints
    ]
    columns = [_with_reads(column, nodes, printed) for column in read_columns]
    if any(_refused(interp, column) for column in columns):
        raise _NotHere  # refused as PostgreSQL refuses it, by the tree handler (refusals.py)

    def change() -> None:
        table = new_table(interp, schema, name, {}, False)
        interp.model.tables[key] = table
        interp._relations[key] = "table"
        deferred: list[ConstraintRead] = []
        prov = interp._prov()  # every column's (the statement's, as new_table's)
        # a table constraint written after the n-th column comes after that column's own
        # (PostgreSQL's order); most tables write theirs in the columns: no look-up per column
        waiting = table_constraints[::-1]
        for number, read in enumerate(columns):
            while waiting and waiting[-1][0] == number:
                deferred.append(waiting.pop()[1])
            deferred += _place_column(interp, table, read, prov)
        deferred += [con for _, con in reversed(waiting)]
        for constraint in without_redundant_indexes(deferred):
            apply_constraint(interp, table, constraint, new_table=True)

    return change


# (name, type text or the serial's integer type, is serial, COLLATE names, constraint steps)
_ColumnRead = tuple[str, str, bool, "list[str] | None", list[tuple[str, Any]]]


def _with_reads(read: _ColumnRead, nodes: _Lazy, printed: bool = False) -> _ColumnRead:
    """A read column whose constraint steps hold their ``apply_constraint`` read (as read:
    :func:`_constraint`'s pair); ``printed``: a CHECK's printed text holds (``_create_table``)."""
    steps = read[4]
    for step, _ in steps:
        if step == "constraint":
            break
    else:  # (a loop: a generator a column cost more than the rest of this check)
        return read
    column = read[0]
    built = [
        (step, _constraint_read(v, column, nodes, printed) if step == "constraint" else v)
        for step, v in steps
    ]
    return read[0], read[1], read[2], read[3], built


def _refused(interp: DdlInterpreter, column: _ColumnRead) -> bool:
    """Whether a DEFAULT of the read column calls a function PostgreSQL cannot find."""
    return any(step == "default" and missing_call(interp, v) for step, v in column[4])


def _column(cd: Any, nodes: _Lazy) -> _ColumnRead:
    """One ColumnDef as CREATE TABLE and ALTER TABLE … ADD COLUMN write it (``add_column``)."""
    if cd.__class__ is not dict:
        raise _NotHere
    _check(cd, _COLUMN_KEYS)
    if cd.get("is_local") is not True:
        raise _NotHere
    names, type_text = _type_text(cd["typeName"], nodes)
    if not searched_names(names):
        raise _NotHere  # written pg_catalog.x: not searched (the tree handler's, rare)
    serial = SERIAL_TYPES.get(names[-1]) if len(names) == 1 else None
    collation = None
    if "collClause" in cd:
        clause = cd["collClause"]
        _check(clause, _COLLATE_KEYS)
        collation = _strings(clause["collname"])
    steps = [_column_step(con, nodes, cd["colname"]) for con in cd.get("constraints", ())]
    return cd["colname"], serial or type_text, serial is not None, collation, steps


def _column_step(value: Any, nodes: _Lazy, column: str) -> tuple[str, Any]:
    """What one column constraint of ``column`` does: ("nullable", bool), ("default", text)
    or ("constraint", its read: ``_constraint``; added once the table has every column)."""
    if value.__class__ is not dict or len(value) != 1 or "Constraint" not in value:
        raise _NotHere
    con = value["Constraint"]
    kind = con.get("contype")
    if kind == "CONSTR_NOTNULL" or kind == "CONSTR_NULL":
        return ("nullable", kind == "CONSTR_NULL")  # the tree handler reads nothing else
    if kind == "CONSTR_DEFAULT":
        _check(con, _DEFAULT_KEYS)
        return ("default", _text(con["raw_expr"], nodes))
    if kind in _TABLE_CONSTRAINTS:
        return ("constraint", _constraint(con, column))
    raise _NotHere  # identity, generated, DEFERRABLE after a constraint …: the tree handler


# -- CREATE INDEX ----------------------------------------------------------------------


def _read_create_index(body: dict, nodes: _Lazy) -> tuple:
    """CREATE [UNIQUE] INDEX [name] ON relation [USING method] (keys) [INCLUDE (…)] [WHERE …]:
    keys are columns or expressions, with ordering, operator class and collation."""
    _check(body, _INDEX_KEYS)
    name = body.get("idxname")
    schemaname, relname = _relation(body["relation"])
    method = body.get("accessMethod") or "btree"
    # an expression's facts before its key is read (reading it consumes the plain data)
    expressions = [
        _plain(_facts(elem["IndexElem"]["expr"]))
        for elem in body["indexParams"]
        if elem.__class__ is dict and "expr" in elem.get("IndexElem", ())
    ]
    keys = [_index_key(elem, method, nodes) for elem in body["indexParams"]]
    include = [_include(elem) for elem in body.get("indexIncludingParams", ())]
    where = None
    facts = _facts(body.get("whereClause"))
    if facts is not None and facts[1]:
        raise _NotHere  # the tree handler promotes integer columns meeting it (implicit.py)
    if facts is not None:
        where = _text(body["whereClause"], nodes, facts[0])
    unique = bool(body.get("unique", False))
    if_not_exists = bool(body.get("if_not_exists", False))
    target = (name, schemaname, relname, method, unique, if_not_exists)
    return target, (keys, include, where), (expressions, _plain(facts))


def _create_index(interp: DdlInterpreter, read: tuple, nodes: _Lazy) -> Callable[[], None]:
    """:func:`_read_create_index`'s index placed, where no expression of it meets a column
    the way only the tree handler stores."""
    (name, schemaname, relname, method, unique, if_not_exists), shape, (expressions, facts) = read
    keys, include, where = shape
    if (facts is not None or expressions) and interp.model.domains:
        raise _NotHere  # a column of a domain is cast to its base type (operand_bases.py)
    if facts is not None or expressions:
        table = interp.model.tables.get(qualify(interp._schema_named(schemaname, relname), relname))
        # the tree handler qualifies citext's operators and casts an integer column meeting
        # a numeric one (a float, an interval), as PostgreSQL stores them (implicit.py)
        if table is not None and (
            _may_cast(facts, table) or any(_may_cast(e, table) for e in expressions)
        ):
            raise _NotHere

    def change() -> None:
        schema, relation = index_target(interp, schemaname, relname)
        index_keys = []
        for text, is_column, descending, nulls, opclass, collation, _ in keys:
            key = IndexKey(text, is_column, descending, nulls, opclass)
            if collation is not None:
                key.collation = key_collation(
                    interp, collation, text if is_column else None, relation, text
                )
            index_keys.append(key)
        chosen = name or choose_name(
            relation.name, "_".join(k[6] for k in keys), "idx", interp._name_taken(schema)
        )
        place_index(
            interp,
            relation,
            schema,
            chosen,
            index_keys,
            if_not_exists=if_not_exists,
            unique=unique,
            method=method,
            where=where,
            include=include,
            nulls_not_distinct=False,
            inherit=True,
        )

    return change


_IndexKeyRead = tuple[str, bool, bool, "bool | None", "str | None", "list[str] | None", str]


def _index_key(value: Any, method: str, nodes: _Lazy) -> _IndexKeyRead:
    """(column or expression text, is a column, descending, NULLS FIRST as the catalog keeps
    it, operator class, COLLATE names, the name part PostgreSQL derives from it) of one key."""
    if value.__class__ is not dict or len(value) != 1 or "IndexElem" not in value:
        raise _NotHere
    elem = value["IndexElem"]
    _check(elem, _INDEX_ELEM_KEYS)
    descending = elem.get("ordering") == "SORTBY_DESC"
    order = elem.get("nulls_ordering")
    nulls = (
        True if order == "SORTBY_NULLS_FIRST" else False if order == "SORTBY_NULLS_LAST" else None
    )
    if nulls is not None and nulls == descending:
        nulls = None
    opclass = canonical_opclass(method, _strings(elem.get("opclass", ())))
    collation = _strings(elem["collation"]) if elem.get("collation") else None
    column = elem.get("name")
    if column:
        return column, True, descending, nulls, opclass, collation, column
    if "expr" not in elem:
        raise _NotHere
    expr = elem["expr"]
    clause = expr.get("CollateClause") if expr.__class__ is dict and collation is None else None
    if clause is not None:
        # ((key COLLATE "C")): PostgreSQL strips a top-level COLLATE into the key's collation,
        # and what remains, a bare column, makes a column key (a storage index does this)
        collation, expr = _strings(clause["collname"]), clause["arg"]
    # an expression that is only a column, ((status)), is that column's key (indexes.py)
    fields = expr.get("ColumnRef", {}).get("fields") if expr.__class__ is dict else None
    if fields and len(fields) == 1:
        column = _strings(fields)[0]
        return column, True, descending, nulls, opclass, collation, column
    if _numeric(expr):
        raise _NotHere  # numeric: the tree handler promotes integer columns meeting it
    text, label = _expression(expr, nodes)
    return text, False, descending, nulls, opclass, collation, label


def _expression(value: dict, nodes: _Lazy) -> tuple[str, str]:
    """(printed text, FigureColname's label) of an index expression, by its shape (memo)."""
    key = frozen(value)
    found = _EXPRESSIONS.get(key)
    if found is None:
        node = nodes.node(value)
        found = (deparse(node) or "", expr_label(node))
        if len(_EXPRESSIONS) >= _MEMO_MAX:
            _EXPRESSIONS.clear()
        _EXPRESSIONS[key] = found
    return found


_EXPRESSIONS: dict[Hashable, tuple[str, str]] = {}


def _include(value: Any) -> str:
    """An INCLUDE column (PostgreSQL takes nothing but a column name there)."""
    if value.__class__ is not dict or len(value) != 1 or "IndexElem" not in value:
        raise _NotHere
    elem = value["IndexElem"]
    _check(elem, _INCLUDE_KEYS)
    if not elem.get("name"):
        raise _NotHere
    return elem["name"]


# -- GRANT / REVOKE on tables -----------------------------------------------------------


def _read_grant(body: dict, nodes: _Lazy) -> tuple:
    """GRANT/REVOKE table privileges (no column lists) ON named tables TO named roles or PUBLIC."""
    _check(body, _GRANT_KEYS)
    if body.get("objtype") != "OBJECT_TABLE" or body.get("targtype") != "ACL_TARGET_OBJECT":
        raise _NotHere
    objects = [_relation(rv.get("RangeVar")) for rv in body["objects"] if len(rv) == 1]
    if len(objects) != len(body["objects"]):
        raise _NotHere
    privileges: list[str] = []
    for value in body.get("privileges", ()):
        if value.__class__ is not dict or len(value) != 1 or "AccessPriv" not in value:
            raise _NotHere
        priv = value["AccessPriv"]
        _check(priv, _PRIV_KEYS)
        privilege = (priv.get("priv_name") or "all").upper()
        privileges.extend(TABLE_PRIVILEGES if privilege == "ALL" else [privilege])
    if not body.get("privileges"):
        privileges = list(TABLE_PRIVILEGES)
    grantees = sorted(_role(spec) for spec in body["grantees"]) or ["public"]
    is_grant = bool(body.get("is_grant", False))
    grant_option = bool(body.get("grant_option", False))
    return objects, grantees, privileges, is_grant, grant_option


def _grant(interp: DdlInterpreter, read: tuple, nodes: _Lazy) -> Callable[[], None]:
    """:func:`_read_grant`'s privileges granted or revoked."""
    objects, grantees, privileges, is_grant, grant_option = read

    def change() -> None:
        targets: list[Table | View] = []
        for schemaname, relname in objects:
            key = qualify(interp._schema_named(schemaname, relname), relname)
            target = interp.model.tables.get(key) or interp.model.views.get(key)
            if target is None:
                from schema_audit.sources.ddl.errors import ApplyError

                raise ApplyError(f"relation {key} does not exist at this point of the history")
            targets.append(target)
        grant_on_relations(interp, targets, grantees, privileges, [], is_grant, grant_option)

    return change


def _role(value: Any) -> str:
    """A grantee that is a role's name or PUBLIC (CURRENT_USER and the like: the tree handler)."""
    if value.__class__ is not dict or len(value) != 1 or "RoleSpec" not in value:
        raise _NotHere
    spec = value["RoleSpec"]
    _check(spec, _ROLE_KEYS)
    kind = spec.get("roletype")
    if kind == "ROLESPEC_PUBLIC":
        return "public"
    if kind == "ROLESPEC_CSTRING":
        return spec["rolename"]
    raise _NotHere


# -- ALTER TABLE -------------------------------------------------------------------------


def _place_column(
    interp: DdlInterpreter, table: Table, read: _ColumnRead, prov: Provenance | None = None
) -> list[ConstraintRead]:
    """Place a column ``_column`` read on the table with its NOT NULL and DEFAULT; its other
    constraints (their reads: ``_with_reads``) are returned for the caller to add in
    PostgreSQL's order (CREATE TABLE: after every column; ADD COLUMN: at once). ``prov``:
    the statement's provenance, when the caller has it."""
    colname, type_text, serial, collation, steps = read
    column = place_column(interp, table, colname, type_text, serial, collation, prov=prov)
    constraints = []
    for step, value in steps:
        if step == "nullable":
            column.nullable = value
        elif step == "default":
            column.default = resolved_nextval(interp, qualified_calls(interp, value))
        else:
            constraints.append(value)
    return constraints


def _read_alter_table(body: dict, nodes: _Lazy) -> tuple:
    """ALTER TABLE [IF EXISTS] name with subcommands ENABLE / DISABLE / [NO] FORCE ROW LEVEL
    SECURITY, ADD COLUMN and ADD CONSTRAINT (any other subcommand: the tree handler)."""
    _check(body, _ALTER_KEYS)
    if body.get("objtype") != "OBJECT_TABLE":
        raise _NotHere
    schemaname, name = _relation(body["relation"])
    return schemaname, name, [_read_subcommand(cmd, nodes) for cmd in body["cmds"]]


def _alter_table(interp: DdlInterpreter, read: tuple, nodes: _Lazy) -> Callable[[], None]:
    """:func:`_read_alter_table`'s subcommands on a table the model has (not partitioned:
    ALTER TABLE on one also changes its partitions; no inheritance children); the rest
    (views, sequences, a table missing): the tree handler."""
    schemaname, name, subcommands = read
    table = interp.model.tables.get(qualify(interp._schema_named(schemaname, name), name))
    if table is None or table.kind == "partitioned" or inheritance.has_children(interp, table):
        raise _NotHere  # it reaches partitions or inheritance children: the tree handler's
    steps = [_subcommand(interp, table, cmd, nodes) for cmd in subcommands]

    def change() -> None:
        for step in steps:
            step()

    return change


def _read_subcommand(value: Any, nodes: _Lazy) -> tuple:
    """One subcommand read: ("security", attribute, on), ("add_column", the column read, IF
    NOT EXISTS) or ("add_constraint", its read: ``_constraint``)."""
    if value.__class__ is not dict or len(value) != 1 or "AlterTableCmd" not in value:
        raise _NotHere
    cmd = value["AlterTableCmd"]
    _check(cmd, _CMD_KEYS)
    subtype = cmd.get("subtype")
    security = _ROW_SECURITY.get(subtype)
    if security is not None:
        if "def" in cmd or "missing_ok" in cmd:
            raise _NotHere
        return ("security", *security)
    if subtype == "AT_AddColumn":
        definition = cmd.get("def")
        if definition.__class__ is not dict or len(definition) != 1:
            raise _NotHere
        return ("add_column", _column(definition.get("ColumnDef"), nodes), cmd.get("missing_ok"))
    if subtype == "AT_AddConstraint":
        definition = cmd.get("def")
        if (
            "missing_ok" in cmd
            or definition.__class__ is not dict
            or len(definition) != 1
            or "Constraint" not in definition
        ):
            raise _NotHere
        return ("add_constraint", _constraint(definition["Constraint"], None))
    raise _NotHere


def _subcommand(
    interp: DdlInterpreter, table: Table, read: tuple, nodes: _Lazy
) -> Callable[[], None]:
    """One subcommand read, as ``alter_table.SUBCOMMANDS``' function for it changes the table."""
    if read[0] == "security":
        _, attribute, on = read

        def row_security() -> None:
            setattr(table, attribute, on)
            table.provenance.append(interp._prov("altered"))

        return row_security
    if read[0] == "add_column":
        column = _with_reads(read[1], nodes)
        if _refused(interp, column):
            raise _NotHere  # refused by the tree handler (refusals.py)
        colname = column[0]
        missing_ok = bool(read[2])

        def add_column() -> None:
            if missing_ok and colname in table.columns:
                return
            for constraint in _place_column(interp, table, column):
                apply_constraint(interp, table, constraint)
            table.provenance.append(interp._prov("altered"))

        return add_column
    if read[0] == "add_constraint":
        constraint = _constraint_read(read[1], None, nodes, False)

        def add_table_constraint() -> None:
            apply_constraint(interp, table, constraint, action="created")
            table.provenance.append(interp._prov("altered"))

        return add_table_constraint
    raise _NotHere


_ROW_SECURITY = {
    "AT_EnableRowSecurity": ("rls_enabled", True),
    "AT_DisableRowSecurity": ("rls_enabled", False),
    "AT_ForceRowSecurity": ("rls_forced", True),
    "AT_NoForceRowSecurity": ("rls_forced", False),
}


# -- CREATE POLICY -------------------------------------------------------------------------


def _read_create_policy(body: dict, nodes: _Lazy) -> tuple:
    """CREATE POLICY name ON a table whose USING and WITH CHECK hold no subquery
    (``policy_expr`` qualifies the names in those against the model: the tree handler), to
    named roles or PUBLIC."""
    _check(body, _POLICY_KEYS)
    schemaname, relname = _relation(body["table"])
    name = body["policy_name"]
    command: Any = (body.get("cmd_name") or "all").upper()  # one of Policy's commands
    permissive = bool(body.get("permissive", False))
    grantees = sorted(_role(spec) for spec in body.get("roles", ())) or ["public"]
    if "public" in grantees:
        grantees = ["public"]  # as ``nodes.policy_roles``: PUBLIC alone
    qual, with_check = _facts(body.get("qual")), _facts(body.get("with_check"))
    using = _predicate(body.get("qual"), qual, nodes)
    check = _predicate(body.get("with_check"), with_check, nodes)
    facts = _plain(qual), _plain(with_check)
    return schemaname, relname, name, command, permissive, grantees, facts, using, check


def _create_policy(interp: DdlInterpreter, read: tuple, nodes: _Lazy) -> Callable[[], None]:
    """:func:`_read_create_policy`'s policy made on a table the model has."""
    schemaname, relname, name, command, permissive, grantees, facts, using, check = read
    table = interp.model.tables.get(qualify(interp._schema_named(schemaname, relname), relname))
    if table is None or name in table.policies:
        raise _NotHere  # the tree handler's error
    if _may_cast(facts[0], table) or _may_cast(facts[1], table):
        raise _NotHere  # the tree handler adds the ::numeric casts PostgreSQL stores
    if (facts[0] is not None or facts[1] is not None) and interp.model.domains:
        raise _NotHere  # and casts a column of a domain to its base type (operand_bases.py)

    using, check = qualified_calls(interp, using), qualified_calls(interp, check)

    def change() -> None:
        table.policies[name] = Policy(
            name, command, permissive, grantees, using, check, [interp._prov()]
        )

    return change


def _may_cast(facts: _Facts | None, table: Table) -> bool:
    """Whether PostgreSQL may store a cast in a policy's or an index predicate's expression
    (``facts``: :func:`_facts`): it holds a numeric literal or cast (``_numeric``), names both
    an integer and a numeric column of the table (the integer one is promoted where they
    meet), or names a float or an interval column: an integer meeting one, a literal too, is
    cast to double precision (``(f > (0)::double precision)``; the tree handler writes that
    cast, ``implicit._to_float8``, and the model is the tree handler's byte for byte)."""
    if facts is None:
        return False
    _, numeric_literal, names, untyped = facts
    if numeric_literal or _names_citext(names, table):
        return True  # (citext: the tree handler qualifies its operators, implicit.py)
    types = {column.type for column in map(table.columns.get, names) if column}
    if untyped and any(map(takes_typed_literals, types)):
        return True  # `n > '5'` is stored `n > 5`: the tree handler casts the literal
    if any(type_.startswith(_FLOAT_OR_INTERVAL) for type_ in types):
        return True
    numeric = any(type_.split("(")[0] == "numeric" for type_ in types)
    return numeric and not types.isdisjoint(INTEGER_TYPES)


_FLOAT_OR_INTERVAL = ("double precision", "real", "interval")


def _plain(facts: _Facts | None) -> _Facts | None:
    """``facts`` without their shape key (``_may_cast`` reads the rest): plain data to send."""
    return None if facts is None else (None, facts[1], facts[2], facts[3])


def _names_citext(names: Iterable[str], table: Table) -> bool:
    """Whether an expression naming columns ``names`` (``_column_names``) names a citext
    column of ``table`` (whose operators PostgreSQL stores as citext's own: only the tree
    handler qualifies them)."""
    for name in names:
        column = table.columns.get(name)
        if column is not None and (column.type == "citext" or column.type.endswith(".citext")):
            return True
    return False


def _predicate(value: Any, facts: _Facts | None, nodes: _Lazy) -> str | None:
    """A policy's USING or WITH CHECK text as ``policy_expr`` gives it where the expression
    holds no subquery (a SubLink); one with a subquery is not read here."""
    if value is None or facts is None:
        return None
    key = facts[0]
    found = _PREDICATES.get(key)
    if found is None:
        node = nodes.node(value)
        found = (deparse(node), bool(find_all(node, ast.SubLink)))
        if len(_PREDICATES) >= _MEMO_MAX:
            _PREDICATES.clear()
        _PREDICATES[key] = found
    if found[1]:
        raise _NotHere
    return found[0]


_PREDICATES: dict[Hashable, tuple[str, bool]] = {}


_CREATE_KEYS = frozenset({"relation", "tableElts", "oncommit", "if_not_exists"})
_COLUMN_KEYS = frozenset(
    {"colname", "typeName", "is_local", "constraints", "collClause", "location"}
)
_TYPE_NAME_KEYS = frozenset({"names", "typmods", "typemod", "arrayBounds", "location"})
_COLLATE_KEYS = frozenset({"collname", "location"})
_DEFAULT_KEYS = frozenset({"contype", "raw_expr", "location"})
_INDEX_KEYS = frozenset(
    {
        "idxname",
        "relation",
        "accessMethod",
        "indexParams",
        "indexIncludingParams",
        "whereClause",
        "unique",
        "if_not_exists",
    }
)
_INDEX_ELEM_KEYS = frozenset({"name", "expr", "ordering", "nulls_ordering", "opclass", "collation"})
_INCLUDE_KEYS = frozenset({"name", "ordering", "nulls_ordering"})
_GRANT_KEYS = frozenset(
    {
        "is_grant",
        "targtype",
        "objtype",
        "objects",
        "privileges",
        "grantees",
        "grant_option",
        "behavior",
    }
)
_ALTER_KEYS = frozenset({"relation", "cmds", "objtype", "missing_ok"})
_CMD_KEYS = frozenset({"subtype", "def", "behavior", "missing_ok"})
_POLICY_KEYS = frozenset(
    {"policy_name", "table", "cmd_name", "permissive", "roles", "qual", "with_check"}
)
_PRIV_KEYS = frozenset({"priv_name"})
_ROLE_KEYS = frozenset({"roletype", "rolename", "location"})

# Each shape in two steps: what the statement says alone (plain data: the parsing child may
# make it, ``read_ahead``), then what the model makes of it (the change, not made yet).
_Read = Callable[[dict, _Lazy], tuple]
_Apply = Callable[["DdlInterpreter", Any, _Lazy], Callable[[], None]]
# the shapes that make a relation or an index, which a session's default_tablespace or
# default_table_access_method places: the tree handlers apply those (storage.py)
_STORED = frozenset({"CreateStmt", "IndexStmt", "AlterTableStmt"})
_STEPS: dict[str, tuple[_Read, _Apply]] = {
    "CreateStmt": (_read_create_table, _create_table),
    "IndexStmt": (_read_create_index, _create_index),
    "GrantStmt": (_read_grant, _grant),
    "AlterTableStmt": (_read_alter_table, _alter_table),
    "CreatePolicyStmt": (_read_create_policy, _create_policy),
}
