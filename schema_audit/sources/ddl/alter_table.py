"""ALTER TABLE: the statement, and one small function per subcommand (AlterTableType).

``SUBCOMMANDS`` maps each modelled subcommand to its function; a subcommand not in the
table (storage, statistics, CLUSTER ON, REPLICA IDENTITY …) changes nothing the model
holds. Dropping a column or constraint takes along what PostgreSQL drops with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pglast
from pglast import ast
from pglast.enums import AlterTableType, DropBehavior, ObjectType

from schema_audit.model import Column, Table, View, ViewColumn, qualify
from schema_audit.pgparse import parse_sql
from schema_audit.pgvisit import find_all
from schema_audit.sources.ddl import dependents, index_links, inheritance, rules
from schema_audit.sources.ddl.colsettings import set_options, set_setting, set_storage
from schema_audit.sources.ddl.constraints import add_constraint, constraint_names
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.function_schemas import qualified_calls
from schema_audit.sources.ddl.indexes import index_named, set_clustered
from schema_audit.sources.ddl.nodes import apply_reloptions, deparse, reloptions, strings
from schema_audit.sources.ddl.owner_acl import change_owner
from schema_audit.sources.ddl.partitions import (
    attach_index,
    clone_into_partition,
    partition_bound,
    partitions_of,
    recurse_subcommand,
    refuse_attach,
    refuse_only,
)
from schema_audit.sources.ddl.refusals import refuse_subcommand
from schema_audit.sources.ddl.registry import handles, registrar
from schema_audit.sources.ddl.sequence_literals import resolved_nextval
from schema_audit.sources.ddl.storage import stored
from schema_audit.sources.ddl.tables import add_column, collation_of, is_enum, written_type
from schema_audit.sources.ddl.temp_shadows import restated
from schema_audit.sources.ddl.toast import apply_toast_subcommand, defer_view_toast
from schema_audit.sources.ddl.views import view_using_column

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


@handles(ast.AlterTableStmt)
def alter_table(interp: DdlInterpreter, node: ast.AlterTableStmt) -> None:
    """ALTER TABLE (also ALTER VIEW / MATERIALIZED VIEW / SEQUENCE spelled as ALTER TABLE, as pg_dump writes them)."""
    if node.objtype == ObjectType.OBJECT_SEQUENCE:
        _sequence_owner(interp, node)
        return  # sequence storage options, OWNED BY via ALTER TABLE …: not modelled
    if node.objtype == ObjectType.OBJECT_INDEX:
        _alter_index(interp, node)
        return
    if node.objtype == ObjectType.OBJECT_TYPE:
        return  # ALTER TYPE … ADD ATTRIBUTE: composite types are not modelled
    if node.objtype in (ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW):
        key = qualify(interp._schema_of(node.relation), node.relation.relname)
        view = interp.model.views.get(key)
        for cmd in node.cmds or ():
            if view is not None and cmd.subtype == AlterTableType.AT_ChangeOwner:
                change_owner(interp, view, cmd.newowner.rolename)
            elif view is not None and cmd.subtype in (
                AlterTableType.AT_SetRelOptions,
                AlterTableType.AT_ResetRelOptions,
                AlterTableType.AT_ReplaceRelOptions,
            ):
                apply_reloptions(view.options, cmd)
                if view.materialized:
                    defer_view_toast(interp, view, cmd.def_)
            elif view is not None and cmd.subtype == AlterTableType.AT_ClusterOn:
                set_clustered(view, cmd.name)
            elif view is not None and cmd.subtype == AlterTableType.AT_DropCluster:
                set_clustered(view, None)
            elif view is not None and cmd.subtype in _VIEW_COLUMN_SETTINGS:
                _view_column_setting(interp, view, cmd)
            elif view is not None and cmd.subtype in (A.AT_SetTableSpace, A.AT_SetAccessMethod):
                _relocate(interp, view, cmd)
        return
    view = interp.model.views.get(qualify(interp._schema_of(node.relation), node.relation.relname))
    if (
        view is not None
        and node.relation.relname
        and not interp._table(node.relation, missing_ok=True)
    ):
        # pg_dump writes ALTER TABLE … OWNER TO for materialized views too.
        for cmd in node.cmds or ():
            if cmd.subtype == AlterTableType.AT_ChangeOwner:
                change_owner(interp, view, cmd.newowner.rolename)
            elif cmd.subtype in _VIEW_COLUMN_SETTINGS:
                _view_column_setting(interp, view, cmd)
        return
    if node.relation.relname and not interp._table(node.relation, missing_ok=True):
        sequence = qualify(interp._schema_of(node.relation), node.relation.relname)
        if sequence in interp.model.sequences:
            _sequence_owner(interp, node)  # pg_dump writes ALTER TABLE … OWNER TO for them too
            return
    table = interp._table(node.relation, missing_ok=bool(node.missing_ok))
    if table is None:
        return
    recursing = bool(node.relation.inh) and inheritance.has_children(interp, table)
    for cmd in node.cmds:
        refuse_subcommand(interp, cmd)
        inheritance.refuse(interp, table, cmd, only=not node.relation.inh)
        if not node.relation.inh and table.kind == "partitioned":
            refuse_only(interp, table, cmd)
    partitioned = table.kind == "partitioned" and bool(node.relation.inh)
    for cmd in node.cmds:
        checks_before = set(table.checks) if recursing or partitioned else set()
        apply_subcommand(interp, table, cmd)
        if recursing:  # INHERITS children (not ALTER TABLE ONLY)
            inheritance.recurse(interp, table, cmd, checks_before)
        if partitioned:  # its partitions (ONLY is refused above)
            recurse_subcommand(interp, table, cmd, checks_before)
    if table.kind == "partitioned" and node.relation.inh:  # not ALTER TABLE ONLY
        for partition in partitions_of(interp, table):
            clone_into_partition(interp, table, partition)
        _recurse_settings(interp, table, node.cmds)


_VIEW_COLUMN_SETTINGS = (
    AlterTableType.AT_SetStatistics,
    AlterTableType.AT_SetStorage,
    AlterTableType.AT_SetCompression,
    AlterTableType.AT_SetOptions,
    AlterTableType.AT_ResetOptions,
)


def _view_column_setting(interp: DdlInterpreter, view: View, cmd: ast.AlterTableCmd) -> None:
    """ALTER MATERIALIZED VIEW … ALTER COLUMN c SET STATISTICS / STORAGE / COMPRESSION /
    (n_distinct …), kept as a table column's. SET STORAGE is not applied: whether it is the
    column's type's own storage (no setting) needs the type, which the static reading of a
    view's columns does not have (its findings are DEFERRED, never guessed)."""
    column = next((c for c in view.columns if c.name == cmd.name), None)
    if not view.materialized or column is None:
        raise ApplyError(
            f'column "{cmd.name}" of relation "{view.name}" does not exist'
            if view.materialized
            else f'"{view.name}" is not a table, materialized view, index, or foreign table'
        )
    if cmd.subtype == AlterTableType.AT_SetStorage:
        interp._unapplied("unsupported", "SET STORAGE of a view column: its type is not known")
        return
    column_setting(column, cmd)


# ALTER TABLE subcommand -> its function (interpreter, table, subcommand); others: not modelled
Subcommand = Callable[["DdlInterpreter", Table, ast.AlterTableCmd], None]
SUBCOMMANDS: dict[AlterTableType, Subcommand] = {}
A = AlterTableType

_on = registrar(SUBCOMMANDS)


def apply_subcommand(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    """One ALTER TABLE subcommand on ``table`` (storage, statistics, CLUSTER ON …: not
    modelled, nothing to do)."""
    function = SUBCOMMANDS.get(cmd.subtype)
    if function is not None:
        function(interp, table, cmd)


@_on(A.AT_AddColumn)
def _add_column(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    if cmd.missing_ok and cmd.def_.colname in table.columns:
        return
    for pending in add_column(interp, table, cmd.def_, action="created"):
        add_constraint(interp, table, pending)
    table.provenance.append(interp._prov("altered"))


@_on(A.AT_AttachPartition, A.AT_DetachPartition)
def _partition(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    child = interp._table(cmd.def_.name)
    assert child is not None
    if cmd.subtype == A.AT_AttachPartition:
        refuse_attach(table, child)
        child.partition_of = table.qualified_name
        child.partition_bound = partition_bound(interp, child.qualified_name, cmd.def_.bound, table)
        clone_into_partition(interp, table, child)  # PostgreSQL clones what is missing
    elif child.partition_of == table.qualified_name:
        child.partition_of = None
        child.partition_bound = None
        index_links.detach(interp, child, table)  # its indexes stay, detached
    child.provenance.append(interp._prov("altered"))


@_on(A.AT_DropColumn)
def _drop_column(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    """DROP COLUMN: refused while a view, policy, trigger or another table's foreign key
    depends on it, unless CASCADE (which drops those), as PostgreSQL does."""
    from schema_audit.sources.ddl.drops import drop_column_with_users  # drops imports us

    if cmd.name not in table.columns:
        drop_column(interp, table, cmd.name, bool(cmd.missing_ok))  # absent: error or nothing
        return
    cascade = cmd.behavior == DropBehavior.DROP_CASCADE
    drop_column_with_users(interp, table, cmd.name, cascade)


@_on(A.AT_AlterColumnType)
def _column_type(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    col = interp._column(table, cmd.name)
    view = view_using_column(interp, table, cmd.name)
    used_by = rules.rules_using(interp, table.qualified_name, cmd.name)
    if view is None and used_by:
        view = f"rule {used_by[0][1]} on {used_by[0][0]}"
    if view is not None:
        raise ApplyError(
            f"cannot alter type of a column used by a view or rule: {table.qualified_name}."
            f"{cmd.name} is used by {view}"
        )
    new_type = written_type(interp, cmd.def_.typeName)
    col.default = dependents.typed_default(col, new_type)
    col.type = new_type
    # without COLLATE the column takes the new type's default collation, as PostgreSQL does
    clause = cmd.def_.collClause
    col.collation = collation_of(interp, strings(clause.collname)) if clause is not None else None
    # the new type's storage and the default compression (the statistics target stays)
    set_setting(col, "storage", None)
    set_setting(col, "compression", None)
    col.provenance.append(interp._prov("altered"))


@_on(A.AT_SetStatistics)
def _statistics(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    if cmd.name is None:
        return  # by column number: an index's, not modelled
    column_setting(interp._column(table, cmd.name), cmd)


@_on(A.AT_SetOptions, A.AT_ResetOptions, A.AT_SetCompression)
def _column_options(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    column_setting(interp._column(table, cmd.name), cmd)


def column_setting(col: Column | ViewColumn, cmd: ast.AlterTableCmd) -> None:
    """SET STATISTICS n (-1, or DEFAULT from PostgreSQL 17: the default target), SET
    COMPRESSION, and SET / RESET (n_distinct …) (the column's attoptions, never recursed)
    of a table's or a materialized view's column."""
    if cmd.subtype == A.AT_SetStatistics:
        value = getattr(cmd.def_, "ival", None)
        set_setting(col, "statistics", None if value is None or value == -1 else value)
    elif cmd.subtype == A.AT_SetCompression:
        method = cmd.def_.sval.lower()
        set_setting(col, "compression", None if method == "default" else method)
    else:
        set_options(col, reloptions(cmd.def_), cmd.subtype == A.AT_ResetOptions)


@_on(A.AT_SetStorage)
def _storage(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    col = interp._column(table, cmd.name)
    set_storage(col, cmd.def_.sval, is_enum(interp, col.type))


def _recurse_settings(interp: DdlInterpreter, table: Table, cmds: list) -> None:
    """SET STATISTICS and SET STORAGE reach every partition below (SET COMPRESSION does not)."""
    wanted = [c for c in cmds if c.subtype in (A.AT_SetStatistics, A.AT_SetStorage) and c.name]
    below = partitions_of(interp, table)
    while wanted and below:
        partition = below.pop()
        for cmd in wanted:
            if cmd.name in partition.columns:
                apply_subcommand(interp, partition, cmd)
        below += partitions_of(interp, partition)


@_on(A.AT_AddInherit)
def _inherit(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    inheritance.add_parent(interp, table, cmd.def_)


@_on(A.AT_DropInherit)
def _no_inherit(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    inheritance.drop_parent(interp, table, cmd.def_)


@_on(A.AT_SetNotNull, A.AT_DropNotNull)
def _not_null(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    col = interp._column(table, cmd.name)
    if cmd.subtype == A.AT_DropNotNull:
        _refuse_drop_not_null(interp, table, cmd.name)
    col.nullable = cmd.subtype == A.AT_DropNotNull
    col.provenance.append(interp._prov("altered"))


def _refuse_drop_not_null(interp: DdlInterpreter, table: Table, name: str) -> None:
    """DROP NOT NULL of a primary key's column, or of a partition's column its parent holds
    NOT NULL, is refused by PostgreSQL (15); before, the column became nullable statically
    and the rest of the history was read on that."""
    if table.primary_key is not None and name in table.primary_key.columns:
        raise ApplyError(f'column "{name}" is in a primary key')
    parent = interp.model.tables.get(table.partition_of or "")
    if parent is not None and name in parent.columns and not parent.columns[name].nullable:
        raise ApplyError(f'column "{name}" is marked NOT NULL in parent table')


@_on(A.AT_ColumnDefault)
def _column_default(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    col = interp._column(table, cmd.name)
    restated(interp, col, "default")
    col.default = (
        resolved_nextval(interp, qualified_calls(interp, deparse(cmd.def_)))
        if cmd.def_ is not None
        else None
    )
    col.provenance.append(interp._prov("altered"))


@_on(A.AT_AddConstraint)
def _add_constraint(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    add_constraint(interp, table, cmd.def_, action="created")
    table.provenance.append(interp._prov("altered"))


@_on(A.AT_DropConstraint)
def _drop_constraint(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    cascade = cmd.behavior == DropBehavior.DROP_CASCADE
    drop_constraint(interp, table, cmd.name, bool(cmd.missing_ok), cascade)


@_on(A.AT_ValidateConstraint)
def _validate(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    for group in (table.checks, table.foreign_keys):
        if cmd.name in group:
            group[cmd.name].validated = True


@_on(A.AT_AlterConstraint)
def _alter_constraint(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    """ALTER CONSTRAINT … [NOT] DEFERRABLE [INITIALLY DEFERRED | IMMEDIATE] of a foreign key
    (Lemmy made its foreign keys deferrable so): both flags take the values the clause gives
    (the grammar makes INITIALLY DEFERRED deferrable, and a bare clause immediate), on the
    partitions' clones too. Other constraints are refused, as PostgreSQL refuses them."""
    change = cmd.def_
    if getattr(change, "alterEnforceability", False) or getattr(
        change, "alterInheritability", False
    ):
        interp._unapplied("unsupported", "ALTER CONSTRAINT … ENFORCED / INHERIT is not interpreted")
        return
    name = change.conname
    if name not in table.foreign_keys:
        if name in constraint_names(table):
            raise ApplyError(
                f"constraint {name} of relation {table.qualified_name} is not a foreign key constraint"
            )
        raise ApplyError(f"constraint {name} of relation {table.qualified_name} does not exist")
    tables = [table]
    while tables:
        current = tables.pop()
        fk = current.foreign_keys.get(name)
        if fk is not None:
            fk.deferrable, fk.initially_deferred = (
                bool(change.deferrable),
                bool(change.initdeferred),
            )
            fk.provenance.append(interp._prov("altered"))
        if current.kind == "partitioned":
            tables += partitions_of(interp, current)
    table.provenance.append(interp._prov("altered"))


@_on(A.AT_EnableRowSecurity, A.AT_DisableRowSecurity)
def _row_security(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    table.rls_enabled = cmd.subtype == A.AT_EnableRowSecurity
    table.provenance.append(interp._prov("altered"))


@_on(A.AT_ForceRowSecurity, A.AT_NoForceRowSecurity)
def _force_row_security(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    table.rls_forced = cmd.subtype == A.AT_ForceRowSecurity
    table.provenance.append(interp._prov("altered"))


@_on(A.AT_ChangeOwner)
def _owner(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    change_owner(interp, table, cmd.newowner.rolename)
    # PostgreSQL gives the table's owned sequences (serial, identity) the new owner too
    for sequence in interp.model.sequences.values():
        owning_table = (sequence.owned_by or "").partition(".")[0]
        if sequence.schema == table.schema and owning_table == table.name:
            change_owner(interp, sequence, table.owner)


def _sequence_owner(interp: DdlInterpreter, node: ast.AlterTableStmt) -> None:
    """ALTER SEQUENCE / TABLE seq OWNER TO: the sequence's owner."""
    key = qualify(interp._schema_of(node.relation), node.relation.relname)
    sequence = interp.model.sequences.get(key)
    for cmd in node.cmds or ():
        if sequence is not None and cmd.subtype == A.AT_ChangeOwner:
            change_owner(interp, sequence, cmd.newowner.rolename)


# ENABLE / DISABLE TRIGGER name: the state pg_trigger.tgenabled records
_TRIGGER_STATES = {
    A.AT_EnableTrig: "ORIGIN",
    A.AT_DisableTrig: "DISABLED",
    A.AT_EnableAlwaysTrig: "ALWAYS",
    A.AT_EnableReplicaTrig: "REPLICA",
}


@_on(*_TRIGGER_STATES)
def _trigger_state(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    trigger = table.triggers.get(cmd.name)
    if trigger is None:
        raise ApplyError(f"trigger {cmd.name} on {table.qualified_name} does not exist")
    trigger.enabled = _TRIGGER_STATES[cmd.subtype]
    trigger.provenance.append(interp._prov("altered"))


@_on(A.AT_EnableTrigAll, A.AT_DisableTrigAll, A.AT_EnableTrigUser, A.AT_DisableTrigUser)
def _all_triggers_state(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    enable = cmd.subtype in (A.AT_EnableTrigAll, A.AT_EnableTrigUser)
    for trigger in table.triggers.values():
        trigger.enabled = "ORIGIN" if enable else "DISABLED"
        trigger.provenance.append(interp._prov("altered"))


@_on(A.AT_AddIdentity)
def _add_identity(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    col = interp._column(table, cmd.name)
    con = cmd.def_
    col.identity = "always" if getattr(con, "generated_when", "a") == "a" else "by default"
    col.nullable = False


@_on(A.AT_SetIdentity)
def _set_identity(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    """ALTER COLUMN … SET GENERATED ALWAYS / BY DEFAULT: which one the identity is (its
    sequence options, SET INCREMENT BY …, are not modelled on either side)."""
    col = interp._column(table, cmd.name)
    if col.identity is None:
        raise ApplyError(f'column "{cmd.name}" of {table.qualified_name} is not an identity column')
    for option in cmd.def_ or ():
        if option.defname == "generated":
            col.identity = "always" if chr(option.arg.ival) == "a" else "by default"


@_on(A.AT_DropIdentity)
def _drop_identity(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    interp._column(table, cmd.name).identity = None


@_on(A.AT_DropExpression)
def _drop_expression(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    interp._column(table, cmd.name).generated = None


@_on(A.AT_SetRelOptions, A.AT_ResetRelOptions, A.AT_ReplaceRelOptions)
def _reloptions(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    apply_reloptions(table.options, cmd)
    apply_toast_subcommand(interp, table, cmd)


@_on(A.AT_ClusterOn, A.AT_DropCluster)
def _cluster_on(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    set_clustered(table, cmd.name if cmd.subtype == A.AT_ClusterOn else None)


def _alter_index(interp: DdlInterpreter, node: ast.AlterTableStmt) -> None:
    """ALTER INDEX … SET (…) / RESET (…): the index's storage parameters; SET TABLESPACE;
    ATTACH PARTITION: an ON ONLY index's validity (``partitions.attach_index``). Other ALTER
    INDEX forms (ALTER COLUMN … SET STATISTICS) change nothing the model keeps."""
    rv = node.relation
    index = index_named(
        interp, [str(rv.schemaname), str(rv.relname)] if rv.schemaname else [str(rv.relname)]
    )
    for cmd in node.cmds or ():
        if index is not None and cmd.subtype in (
            A.AT_SetRelOptions,
            A.AT_ResetRelOptions,
            A.AT_ReplaceRelOptions,
        ):
            apply_reloptions(index.options, cmd)
        elif index is not None and cmd.subtype == A.AT_SetTableSpace:
            index.tablespace = stored(cmd.name, "pg_default")
        elif index is not None and cmd.subtype == A.AT_AttachPartition:
            child = cmd.def_.name
            schema = child.schemaname or interp._schema_named(None, child.relname)
            attach_index(interp, index, schema, child.relname)


@_on(A.AT_ReplicaIdentity)
def _replica_identity(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    """REPLICA IDENTITY DEFAULT / FULL / NOTHING / USING INDEX name, as the live reader
    spells relreplident."""
    stmt = cmd.def_
    kind = {"d": "default", "f": "full", "n": "nothing"}.get(stmt.identity_type)
    if kind is None:
        if stmt.name not in table.indexes:
            raise ApplyError(f'index "{stmt.name}" for table "{table.name}" does not exist')
        kind = f"index {stmt.name}"
    table.replica_identity = kind


@_on(A.AT_SetTableSpace, A.AT_SetAccessMethod)
def _relocate(interp: DdlInterpreter, table: Table | View, cmd: ast.AlterTableCmd) -> None:
    """SET TABLESPACE / SET ACCESS METHOD of a table or materialized view (a partitioned
    table's tablespace is where its next partitions go; no partition moves)."""
    if cmd.subtype == A.AT_SetTableSpace:
        table.tablespace = stored(cmd.name, "pg_default")
    else:
        table.access_method = stored(cmd.name, "heap")


@_on(A.AT_SetLogged, A.AT_SetUnLogged)
def _logged(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    table.unlogged = cmd.subtype == A.AT_SetUnLogged


def drop_column(interp: DdlInterpreter, table: Table, name: str, missing_ok: bool) -> None:
    if name not in table.columns:
        if missing_ok:
            return
        raise ApplyError(f"column {name} of {table.qualified_name} does not exist")
    del table.columns[name]
    for index_name, index in list(table.indexes.items()):
        # also an index whose expression or predicate reads it (Lemmy's lower(email))
        if (
            name in index.column_names
            or name in index.include
            or any(not k.is_column and mentions_column(k.expression, name) for k in index.keys)
            or (index.where is not None and mentions_column(index.where, name))
        ):
            del table.indexes[index_name]
            interp._relations.pop(qualify(table.schema, index_name), None)
    if table.primary_key and name in table.primary_key.columns:
        table.primary_key = None
    groups: list[dict[str, Any]] = [table.uniques, table.foreign_keys]
    for group in groups:
        for cname, con in list(group.items()):
            if name in con.columns:
                del group[cname]
    for cname, ck in list(table.checks.items()):
        if name in ck.columns:
            del table.checks[cname]
    table.column_grants.pop(name, None)  # PostgreSQL drops the column's ACL with it
    for skey, seq in list(interp.model.sequences.items()):
        # a sequence OWNED BY the column (a SERIAL's) is dropped with it, as with the table
        if seq.schema == table.schema and seq.owned_by == f"{table.name}.{name}":
            del interp.model.sequences[skey]
            interp._relations.pop(skey, None)
    for other in interp._tables_referencing(table.schema, table.name):
        for cname, fk in list(other.foreign_keys.items()):
            if (fk.ref_schema, fk.ref_table) == (
                table.schema,
                table.name,
            ) and name in fk.ref_columns:
                del other.foreign_keys[cname]
    table.provenance.append(interp._prov("altered"))


def mentions_column(text: str, column: str) -> bool:
    """Whether the expression ``text`` reads a column named ``column`` (text that does not
    parse is taken as not reading it, as before this check)."""
    if column not in text:
        return False
    try:
        tree = parse_sql(f"SELECT {text}")
    except pglast.parser.ParseError:
        return False
    return any(
        (fields := ref.fields) and getattr(fields[-1], "sval", None) == column
        for ref in find_all(tree, ast.ColumnRef)
    )


def drop_referenced_key(
    interp: DdlInterpreter, table: Table, name: str, columns: list[str], cascade: bool
) -> None:
    """Dropping the unique key ``name`` (PK, UNIQUE constraint or unique index) over
    ``columns``: the foreign keys referencing exactly those columns depend on it. PostgreSQL
    refuses without CASCADE and drops them with it (a static reading kept them). With another
    unique key on the same columns, which one a foreign key depends on was decided when it
    was made (the first found): not decidable here, so the statement is not applied."""
    wanted = set(columns)
    dependents = [
        (other, cname)
        for other in interp._tables_referencing(table.schema, table.name)
        for cname, fk in other.foreign_keys.items()
        if (fk.ref_schema, fk.ref_table) == (table.schema, table.name)
        and set(fk.ref_columns) == wanted
    ]
    if not dependents:
        return
    spare = [
        index.name
        for index in table.indexes.values()
        if index.name != name
        and index.unique
        and not index.where
        and all(k.is_column for k in index.keys)
        and {k.expression for k in index.keys} == wanted
    ]
    other, cname = dependents[0]
    if spare:
        raise ApplyError(
            f"foreign key {cname} on {other.qualified_name} depends on {name} or on {spare[0]}"
            " (the first PostgreSQL found when it was made): not decided statically"
        )
    if not cascade:
        raise ApplyError(
            f"cannot drop {name} of {table.qualified_name}: foreign key {cname} on"
            f" {other.qualified_name} depends on it"
        )
    for other, cname in dependents:
        del other.foreign_keys[cname]
        other.provenance.append(interp._prov("altered"))


def drop_constraint(
    interp: DdlInterpreter, table: Table, name: str, missing_ok: bool, cascade: bool = False
) -> None:
    if table.primary_key and table.primary_key.name == name:
        drop_referenced_key(interp, table, name, table.primary_key.columns, cascade)
    elif name in table.uniques:
        drop_referenced_key(interp, table, name, table.uniques[name].columns, cascade)
    if table.primary_key and table.primary_key.name == name:
        table.primary_key = None
    elif name in table.uniques:
        del table.uniques[name]
    elif name in table.checks:
        del table.checks[name]
    elif name in table.foreign_keys:
        del table.foreign_keys[name]
    elif not (name in table.indexes and table.indexes[name].constraint):
        if missing_ok:
            return
        raise ApplyError(f"constraint {name} of {table.qualified_name} does not exist")
    if name in table.indexes and table.indexes[name].constraint == name:
        del table.indexes[name]
        interp._relations.pop(qualify(table.schema, name), None)
    table.provenance.append(interp._prov("altered"))
