"""Session statements: SET search_path / ROLE, set_config(), data changes, DO blocks, noise.

What changes how later names resolve (search_path) or who owns what is created next
(SET ROLE) is followed; data statements and maintenance commands change no schema.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import ObjectType
from pglast.enums import TransactionStmtKind as K

from schema_audit import ident
from schema_audit.sources import effects as fx
from schema_audit.sources import function_calls  # (a module: it imports this package)
from schema_audit.sources.ddl.data_calls import refuse_missing_call
from schema_audit.sources.ddl.data_targets import DATA_STATEMENTS, refuse_missing
from schema_audit.sources.ddl.registry import handles
from schema_audit.sources.ddl.storage import set_storage_default

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


_OFF = frozenset({"false", "off", "0", "no", "f", "n", "of"})


def _check_bodies(interp: DdlInterpreter, value: str, local: bool) -> None:
    """check_function_bodies set to ``value``. A transaction's own setting (SET LOCAL,
    set_config(…, true)) ends with the transaction, which is not followed here: turning the
    check off there is not taken (a body PostgreSQL checks after COMMIT was accepted: a
    false PASS), turning it on is (a refusal it causes is named, never a PASS)."""
    off = value in _OFF
    interp._unchecked_bodies = off and getattr(interp, "_unchecked_bodies", False) if local else off


@handles(ast.VariableSetStmt)
def set_variable(interp: DdlInterpreter, node: ast.VariableSetStmt) -> None:
    """SET ROLE (who creates the next objects), SET search_path (how names resolve) and
    default_tablespace / default_table_access_method (where the next relations go)."""
    if set_storage_default(interp, node):
        return
    name = (node.name or "").lower()
    if name in ("role", "session_authorization", "search_path") and not _takes_effect(
        interp, node, "search_path" if name == "search_path" else "role"
    ):
        return
    if name in ("role", "session_authorization"):
        arg = (node.args or [None])[0]
        value = getattr(getattr(arg, "val", None), "sval", None)
        interp.current_role = None if value in (None, "none") else value
        if interp.current_role is not None:  # a role the history switches to: not its runner
            switched = getattr(interp, "_set_roles", None)
            if switched is None:
                switched = interp._set_roles = set()  # type: ignore[attr-defined]
            switched.add(interp.current_role)
        _settled(interp, node, "role")
        return
    if (node.name or "").lower() == "check_function_bodies":
        arg = getattr((node.args or [None])[0], "val", None)  # RESET / DEFAULT: on
        value = str(getattr(arg, "sval", getattr(arg, "ival", "on"))).lower()
        _check_bodies(interp, value, bool(node.is_local))
        return
    if (node.name or "").lower() == "search_path":
        # each item is ONE schema, a string constant too: PostgreSQL quotes it whole
        # (``SET search_path = 'other, public'`` is the schema "other, public"; split at the
        # comma, the reading made the next tables in ``other``, where PostgreSQL refuses)
        values = [
            arg.val.sval
            for arg in node.args or ()
            if isinstance(arg, ast.A_Const) and isinstance(arg.val, ast.String)
        ]
        interp.search_path = [v for v in values if v and v != "$user" and v != "pg_catalog"] or [
            "public"
        ]
        _settled(interp, node, "search_path")


def _takes_effect(interp: DdlInterpreter, node: ast.VariableSetStmt, setting: str) -> bool:
    """Whether a SET [LOCAL] of the role or the search_path changes them now. SET LOCAL
    outside a transaction block changes nothing (PostgreSQL: "WARNING: SET LOCAL can only be
    used in transaction blocks"), unless the runner wraps the file in a transaction of its
    own (then it lasts to the file's end, where the next session starts afresh anyway). In
    an explicit transaction the value to restore at COMMIT is kept (``_tx_settings``)."""
    settings = interp._tx_settings
    if settings is not None and setting not in settings:
        settings[setting] = _current(interp, setting)  # SET LOCAL's, undone at COMMIT
    if not node.is_local:
        return True
    return settings is not None or interp._wrapped()


def _settled(interp: DdlInterpreter, node: ast.VariableSetStmt, setting: str) -> None:
    """A plain SET in an explicit transaction: its value is the session's after COMMIT."""
    settings = interp._tx_settings
    if settings is not None and not node.is_local:
        settings[setting] = _current(interp, setting)


def _current(interp: DdlInterpreter, setting: str) -> object:
    return interp.current_role if setting == "role" else list(interp.search_path)


def end_transaction(interp: DdlInterpreter, node: ast.TransactionStmt) -> None:
    """BEGIN opens an explicit transaction; its COMMIT ends what SET LOCAL set there: the
    role and search_path are those before it, or a plain SET's in it (PostgreSQL's GUC
    stack: ``BEGIN; SET LOCAL ROLE app; COMMIT; CREATE TABLE t`` makes t as the role that
    ran the history, with that role's default privileges, not app's). A rolled-back
    transaction is never applied here (transactions.py)."""
    kind = node.kind
    if kind in (K.TRANS_STMT_BEGIN, K.TRANS_STMT_START):
        interp._tx_settings = {}
        return
    settings = interp._tx_settings
    if kind == K.TRANS_STMT_ROLLBACK:
        # its statements were never applied (transactions.py), so nothing is restored; the
        # transaction is over: a SET LOCAL after it is outside one again (it stayed open and
        # the next SET LOCAL, which PostgreSQL ignores there, took effect)
        interp._tx_settings = None
        return
    if settings is None or kind not in (K.TRANS_STMT_COMMIT, K.TRANS_STMT_PREPARE):
        return
    if "role" in settings:
        interp.current_role = settings["role"]  # type: ignore[assignment]
    if "search_path" in settings:
        interp.search_path = list(settings["search_path"])  # type: ignore[call-overload]
    interp._tx_settings = None


@handles(ast.SelectStmt)
def select(interp: DdlInterpreter, node: ast.SelectStmt) -> None:
    """SELECT: pg_dump's set_config('search_path', …) is followed; other SELECTs are data;
    ``SELECT … INTO t`` is CREATE TABLE t AS SELECT … (PostgreSQL reads it so)."""
    if node.intoClause is not None:
        _select_into(interp, node)
        return
    text = interp._stmt.sql.lower()
    # the list as PostgreSQL reads it, from the statement as written: a quoted name keeps
    # its case (read from the lower-cased text, ``"Other"`` was the schema ``other``)
    m = re.search(r"set_config\(\s*'search_path'\s*,\s*'([^']*)'", interp._stmt.sql, re.I)
    if m:
        # set_config(…, true) is SET LOCAL's form: it ends with its transaction (outside a
        # transaction block, the statement's own: it changed nothing after it), as SET LOCAL
        local = re.match(r"\s*,\s*true\b", interp._stmt.sql[m.end() :], re.I) is not None
        as_set = ast.VariableSetStmt(name="search_path", is_local=local)
        if not _takes_effect(interp, as_set, "search_path"):
            return
        values = ident.split_identifier_list(m.group(1)) or []
        interp.search_path = [v for v in values if v and v != "pg_catalog"] or ["public"]
        _settled(interp, as_set, "search_path")
        return
    m = re.search(r"set_config\(\s*'check_function_bodies'\s*,\s*'([^']*)'\s*,\s*(\w*)", text)
    if m:
        _check_bodies(interp, m.group(1).strip(), m.group(2) != "false")
        return
    if "set_config" in text or "setval" in text:
        return  # pg_dump noise
    refuse_missing_call(interp, node)  # (data_calls: pg_input_is_valid on PostgreSQL 15)
    if function_calls.follow_calls(interp, node, "SELECT"):
        return  # it calls a function of the history that may change the schema
    interp._unapplied("data", "SELECT: does not alter the schema")


def _select_into(interp: DdlInterpreter, node: ast.SelectStmt) -> None:
    """``SELECT … INTO [TEMP | UNLOGGED] t …``: the table CREATE TABLE AS makes (its columns
    named by the query, their types the query's: left open as there, views.create_table_as).
    Read as a query, the table was missing from the model (a spec requiring it FAILed)."""
    from schema_audit.sources.ddl.views import create_table_as

    query = ast.SelectStmt(**{k: getattr(node, k) for k in node if k != "intoClause"})
    create_table_as(
        interp,
        ast.CreateTableAsStmt(query=query, into=node.intoClause, objtype=ObjectType.OBJECT_TABLE),
    )


@handles(ast.TransactionStmt)
def transaction(interp: DdlInterpreter, node: ast.TransactionStmt) -> None:
    """Transaction control: the schema does not change; SET LOCAL ends at COMMIT."""
    end_transaction(interp, node)


@handles(
    ast.VariableShowStmt,
    ast.CheckPointStmt,
    ast.DiscardStmt,
    ast.LockStmt,
    ast.ListenStmt,
    ast.NotifyStmt,
    ast.VacuumStmt,
    ast.ExplainStmt,
    ast.RefreshMatViewStmt,
)
def ignore(interp: DdlInterpreter, node: ast.Node) -> None:
    """Transaction control, maintenance and session noise: nothing in the schema changes."""


@handles(ast.CreateAmStmt)
def create_access_method(interp: DdlInterpreter, node: ast.CreateAmStmt) -> None:
    """CREATE ACCESS METHOD: access methods are not modelled, and making one changes no table,
    index, type, grant or default privilege (a relation's access method is the name its
    ``USING`` gives: storage.py). Applied as nothing; it was left unapplied as a statement
    that may change anything, so every strict finding of such a history was DEFERRED."""


@handles(ast.ReindexStmt)
def reindex(interp: DdlInterpreter, node: ast.ReindexStmt) -> None:
    """REINDEX rebuilds; with (TABLESPACE ts) it also moves what it rebuilds, which the model
    does not follow: listed as not applied, so what it may have moved is not judged."""
    if any(isinstance(p, ast.DefElem) and p.defname == "tablespace" for p in node.params or ()):
        interp._unapplied(
            "unsupported",
            "REINDEX (TABLESPACE …) moves the indexes it rebuilds: not followed",
            effects=[fx.Effect("*", "*")],
        )


@handles(*DATA_STATEMENTS)
def data_change(interp: DdlInterpreter, node: ast.Node) -> None:
    """Rows, not schema: listed as a data statement (its effects are none). TRUNCATE too:
    RESTART IDENTITY resets a sequence's value, not its definition. One that calls a function
    of the history that may change the schema is not data (sources/function_calls.py). One
    into a table the history never made is refused, as PostgreSQL refuses it (data_targets),
    and so is one calling a function PostgreSQL 15 does not have (data_calls)."""
    refuse_missing(interp, node)
    refuse_missing_call(interp, node)
    if function_calls.follow_calls(interp, node, type(node).__name__.removesuffix("Stmt").upper()):
        return
    interp._unapplied("data", "data change: does not alter the schema")


@handles(ast.CallStmt)
def call_procedure(interp: DdlInterpreter, node: ast.CallStmt) -> None:
    """CALL of one of the history's PL/pgSQL procedures: its body is run with its arguments
    bound, as a lone ``SELECT f(…)`` of a function is (sources/function_calls.py), or listed
    with what it may change. lakekeeper adds its time columns with ``call
    add_time_columns('tabular')``: read as not interpreted, those columns were DEFERRED on every
    table. A history procedure whose body changes rows only is data; any other CALL stays not
    interpreted (what it may change is unknown)."""
    procedures = (
        function_calls.candidates(interp, node.funccall) if node.funccall is not None else []
    )
    if not all(function_calls.settings_followed(p) for p in procedures):
        # its own settings decide what its body does: a SET search_path = app is followed
        # (the body runs, or its effects are read, with app: function_calls), any other
        # setting, or a path not known, is not (read through the caller's path, the body's
        # effects named other objects: review18)
        interp._unapplied("unsupported", "CallStmt is not interpreted")
        return
    if any(function_calls.ends_transactions(p.body) for p in procedures):
        # a COMMIT in its body is refused inside a transaction block and undoes the block;
        # outside one it commits as it goes: not run as a DO block's (review18)
        interp._unapplied("unsupported", "CallStmt is not interpreted")
        return
    if function_calls.follow_calls(interp, node, "CALL"):
        return
    if procedures and all(p.language.lower() in ("plpgsql", "sql") for p in procedures):
        interp._unapplied("data", "CALL: the procedure's body does not alter the schema")
        return
    interp._unapplied("unsupported", "CallStmt is not interpreted")


@handles(ast.DoStmt)
def do_block(interp: DdlInterpreter, node: ast.DoStmt) -> None:
    """A DO block: its PL/pgSQL runs where it can be followed (sources/plpgsql.py)."""
    from schema_audit.sources.plpgsql import DoRunner  # plpgsql imports this package

    DoRunner(interp).run(node)
