"""Explicit transactions in a migration file: what a ROLLBACK undid is not in the model.

``BEGIN; CREATE TABLE x (…); ROLLBACK;`` leaves no ``x`` in PostgreSQL, while reading the
statements one by one kept it: a spec requiring ``x`` PASSed statically (trial15). The
statements from a BEGIN / START TRANSACTION are held back until the transaction's end is
seen, then:

* COMMIT / END: applied as they come;
* ROLLBACK / ABORT: not applied, each named as rolled back (it changed nothing);
* a transaction with a ROLLBACK TO SAVEPOINT (or a COMMIT / ROLLBACK PREPARED, refused
  inside a transaction: it aborts), one ended by PREPARE TRANSACTION,
  or one still open at the file's end, cannot be delimited for sure (``psql -f`` rolls an
  open transaction back when the file ends, a runner that wraps each file in a transaction
  of its own commits it): its statements are not applied and may have changed what they
  name (their findings DEFERRED), never guessed.

Held statements cost memory (≈ 8 KB each parsed): past ``HOLD_PARSED`` of one transaction
(a dump wrapped in BEGIN … COMMIT) only their text is kept and they are parsed again when
applied, so memory stays per statement rather than per file (test_resource_limits).

The file is read as ``psql -f`` runs it (each statement on its own outside BEGIN … COMMIT).
A runner that applies the whole file in one transaction (Flyway, goose, dbmate, sqlx,
golang-migrate's one multi-statement query) also rolls back what the file ran before the
BEGIN: when such statements exist, the ROLLBACK is named as a blind spot with file:line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import DiscardMode
from pglast.enums import ReindexObjectType as R
from pglast.enums import TransactionStmtKind as K

from schema_audit.model import UnappliedStatement
from schema_audit.pgparse import parse_lazily
from schema_audit.sources.ddl.enum_commit import new_value_uses
from schema_audit.sources.outside_words import OUTSIDE_WORDS
from schema_audit.sources.psqlvars import unknown_psql_variables
from schema_audit.sources.runner_transactions import flyway_outside
from schema_audit.sources.statements import Statement, node_of

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

# the first word of every transaction-control statement (a cheap test before the tree)
_CONTROL = re.compile(r"(?i)(?:begin|start|commit|end|rollback|abort|savepoint|release|prepare)\b")
_OPENS = (K.TRANS_STMT_BEGIN, K.TRANS_STMT_START)

_UNSURE = {
    K.TRANS_STMT_ROLLBACK_TO: "ROLLBACK TO SAVEPOINT",
    K.TRANS_STMT_COMMIT_PREPARED: "COMMIT PREPARED",  # an error in a transaction block: it aborts
    K.TRANS_STMT_ROLLBACK_PREPARED: "ROLLBACK PREPARED",
}
HOLD_PARSED = 1_000  # statements of one open transaction kept parsed; later ones: text only

# (statement, None: apply it | (kind, reason): record it as not applied with that kind)
Disposition = tuple[Statement, tuple[str, str] | None]


def _control(stmt: Statement) -> ast.TransactionStmt | None:
    """The statement's TransactionStmt, or None (the tree is built only for the few whose
    first word may start one)."""
    if stmt.psql_meta or not _CONTROL.match(stmt.sql):
        return None
    node = stmt.node
    return node if isinstance(node, ast.TransactionStmt) else None


def transactions(
    statements: Iterable[Statement],
    where: str | None,
    offset: int,
    blind_spots: list[str],
    unapplied: list[UnappliedStatement] | None = None,
    alone: Callable[[int], bool] | None = None,
    wraps: Callable[[], bool] | None = None,
    partitioned: Callable[[ast.ReindexStmt], bool] | None = None,
    atomic: Callable[[], str | None] | None = None,
) -> Iterator[Disposition]:
    """Each statement of one file with what to do with it (module docstring). ``where``:
    the file's name for reasons; ``offset``: added to a statement's line for them;
    ``blind_spots``: where a ROLLBACK a one-transaction runner reads otherwise is named;
    ``unapplied``: the model's list the caller records refusals in (``kind == "error"``),
    read after each committed statement is applied (an error aborts the transaction);
    ``alone(line)``: whether psql rolls back only the refused statement at that line of the
    file (its ``ON_ERROR_ROLLBACK`` on there: a savepoint before each statement);
    ``wraps()``: whether the file's runner applies it in one transaction of its own
    (runner_transactions.in_one_transaction), asked only where it changes the reading: a
    ROLLBACK after statements the file ran before its BEGIN (the runner undoes those too:
    named, DEFERRED), a transaction still open at the file's end (the runner commits it);
    ``partitioned(reindex)``: whether a REINDEX TABLE / INDEX names a partitioned table or
    index of the model as it is before the transaction (PostgreSQL refuses those in a
    transaction block); ``atomic()``: how the file's runner applies it whole, when it does
    (:func:`_atomic_file`)."""
    if atomic is not None and (how := atomic()) is not None:
        whole = yield from _atomic_file(
            statements, how, unapplied, at_of(where, offset), partitioned
        )
        if whole is None:
            return
        statements = whole  # the file's own BEGIN / COMMIT: read as below
    held: list[Statement] = []
    opened: Statement | None = None
    unsure: tuple[Statement, str] | None = None  # its first ROLLBACK TO SAVEPOINT …, named
    # statements applied in this file outside BEGIN … since the last end, as text and line
    # (up to HOLD_PARSED; ``past``: more were)
    before: list[Statement] = []
    past = False

    at = at_of(where, offset)
    for stmt in statements:
        node = _control(stmt)
        if opened is None:
            if node is not None and node.kind in _OPENS:
                opened, held, unsure = stmt, [stmt], None
                continue
            if node is not None and node.kind == K.TRANS_STMT_ROLLBACK and (before or past):
                yield from _undone_before(before, past, stmt, at, blind_spots, wraps)
            if node is None:
                if stmt.error is not None or stmt.psql_meta:
                    pass  # (a refused one changed nothing; psql's are not the server's)
                elif len(before) < HOLD_PARSED:
                    before.append(_Light(stmt.sql, stmt.line, None, None))
                else:
                    past = True
            elif node.kind in (K.TRANS_STMT_COMMIT, K.TRANS_STMT_ROLLBACK):
                before, past = [], False
            yield stmt, None
            continue
        held.append(_light(stmt) if node is None and len(held) >= HOLD_PARSED else stmt)
        if node is None or node.kind in _OPENS:  # BEGIN inside: a warning, nothing more
            continue
        if node.kind in (K.TRANS_STMT_SAVEPOINT, K.TRANS_STMT_RELEASE):
            continue  # without a ROLLBACK TO, everything still commits with the transaction
        if node.kind in _UNSURE:  # undoes part of it; COMMIT/ROLLBACK PREPARED: refused here
            unsure = unsure or (stmt, _UNSURE[node.kind])
            continue
        if node.kind == K.TRANS_STMT_PREPARE:
            why = f"transaction ended by PREPARE TRANSACTION at {at(stmt)}: not committed here"
            yield from _deferred(held, why)
        elif node.kind == K.TRANS_STMT_ROLLBACK:
            if before or past:
                yield from _undone_before(before, past, stmt, at, blind_spots, wraps)
            reason = f"rolled back by {stmt.sql.split()[0].upper()} at {at(stmt)}"
            yield from ((s, None if _control(s) else ("data", reason)) for s in held)  # text only
        elif unsure is not None:  # COMMIT of a transaction with savepoints
            why = (
                f"transaction from {at(opened)} has {unsure[1]} at {at(unsure[0])}: "
                "what it undid is not followed"
            )
            yield from _deferred(held, why)
        else:
            yield from _committed(held, unapplied, at, alone, partitioned)
        opened, held, before, past = None, [], [], False
        if node.chain:  # COMMIT / ROLLBACK AND CHAIN: the next transaction starts at once
            opened, held, unsure = stmt, [], None
    if opened is not None and unsure is None and wraps is not None and wraps():
        yield from _committed(held, unapplied, at, alone, partitioned)  # the runner's COMMIT
    elif opened is not None:
        why = (
            f"transaction opened at {at(opened)} is still open at the file's end: psql -f "
            "rolls it back, a runner applying the file in its own transaction commits it"
        )
        yield from _deferred(held, why)


def at_of(where: str | None, offset: int) -> Callable[[Statement], str]:
    """The file:line of a statement of the file ``where`` read from line ``offset + 1``."""

    def at(stmt: Statement) -> str:
        line = stmt.line + offset
        return f"{where}:{line}" if where else f"line {line}"

    return at


def _atomic_file(
    statements: Iterable[Statement],
    how: str,
    unapplied: list[UnappliedStatement] | None,
    at: Callable[[Statement], str],
    partitioned: Callable[[ast.ReindexStmt], bool] | None,
) -> Generator[Disposition, None, Iterable[Statement] | None]:
    """A file its runner applies whole: in a transaction of its own (``how`` "transaction":
    goose, dbmate, sql-migrate, sqlx …, runner_transactions; "flyway": unless one of its
    statements is one Flyway runs outside a transaction, read from the statements here
    rather than by cutting the file again) or as one
    multi-statement query (``how`` "query": golang-migrate; PostgreSQL runs it as one
    implicit transaction). A statement PostgreSQL refuses rolls the whole file back, as a
    COMMIT of the same statements would (:func:`_committed`): a sure refusal leaves the
    file out, one the reading makes while applying names what the file ran before it as
    perhaps rolled back and the rest as perhaps not run (DEFERRED). Read as ``psql -f``
    runs it, the statements before the refusal stayed as sure (a false PASS).

    A file with transaction control of its own (BEGIN, COMMIT, SAVEPOINT …) is returned to
    be read as before (what its COMMIT commits early is not followed here), and so is a
    one-query file of a single statement (PostgreSQL runs it outside any transaction block:
    CREATE INDEX CONCURRENTLY runs there)."""
    held: list[Statement] = []
    control = False
    for stmt in statements:
        if _control(stmt) is not None:
            control = True
            held.append(stmt)
        else:
            held.append(_light(stmt) if len(held) >= HOLD_PARSED else stmt)
    if (
        control
        or (how == "query" and sum(not s.psql_meta for s in held) < 2)
        or (how == "flyway" and any(flyway_outside(s.sql) for s in held if not s.plain))
    ):
        return map(_parsed, held)  # (a light one parsed again as it is read)
    yield from _committed(held, unapplied, at, None, partitioned)
    return None


def _undone_before(
    before: list[Statement],
    past: bool,
    rollback: Statement,
    at: Callable[[Statement], str],
    blind_spots: list[str],
    wraps: Callable[[], bool] | None,
) -> Iterator[Disposition]:
    """A ROLLBACK after statements the file ran before its BEGIN: psql -f keeps them; a
    runner applying the file in one transaction (``wraps``) rolls them back too, which
    this reading, having applied them, cannot undo: each is named and what it names is
    DEFERRED. Past the statements kept (or for a runner the reading cannot tell: a
    golang-migrate file sent as one query), a blind spot with the ROLLBACK's file:line."""
    if wraps is None or not wraps():
        blind_spots.append(_wrapped_note(at(rollback)))
        return
    reason = (
        f"rolled back by {rollback.sql.split()[0].upper()} at {at(rollback)}: the runner "
        "applies the file in one transaction; applied here before it"
    )
    for stmt in map(_parsed, before):
        yield stmt, ("unsupported", reason)
    if past:
        blind_spots.append(_wrapped_note(at(rollback)))


def _committed(
    held: list[Statement],
    unapplied: list[UnappliedStatement] | None,
    at: Callable[[Statement], str],
    alone: Callable[[int], bool] | None,
    partitioned: Callable[[ast.ReindexStmt], bool] | None = None,
) -> Iterator[Disposition]:
    """A transaction ended by COMMIT, applied as PostgreSQL runs it: a statement it refuses
    aborts the transaction, every later one is ignored ("current transaction is aborted")
    and the COMMIT rolls back (PostgreSQL 15, psql -f): nothing of it stays.

    A refusal is sure only when the text decides it: a statement that does not parse, one
    PostgreSQL never runs inside a transaction block (:func:`outside_only`), or a use of an
    enum value the transaction added (``enum_commit``: a possible use defers it all). Then the
    whole transaction is left out, before anything is applied. A refusal the reading makes
    while applying (a missing table, a DO block's guard raising) may come from what the
    reading cannot see (an extension's table, the cluster's roles: review17): the earlier
    statements, applied already, and the later ones, not applied, are all named as perhaps
    rolled back, and what they name is DEFERRED, never taken as certain either way.

    With psql's ``ON_ERROR_ROLLBACK`` on (``alone``) only the refused statement is undone,
    and the rest commits. (The reading follows ``psql -f`` with its defaults: a ``~/.psqlrc``
    or ``-v`` setting ON_ERROR_ROLLBACK is not seen, as ON_ERROR_STOP is not; with
    ON_ERROR_STOP, and in every runner that wraps a file in a transaction, the transaction
    is undone as here.)"""
    uses = new_value_uses(held, _parsed, at)  # (a new enum value used before the COMMIT)
    sure = {}
    for i, s in enumerate(held):
        if (why := _sure_refusal(s)) is not None:
            sure[i] = why
        elif partitioned is not None and not s.plain and "reindex" in s.sql.lower():  # (cheap)
            # judged where it runs in the transaction, not against the model before it
            verdict = _reindexes_partitioned(held, i, partitioned)
            if verdict is None:
                uses.setdefault(i, (False, _REINDEX_MAYBE))
            elif verdict and (why := _sure_refusal(s, _always)) is not None:
                sure[i] = why
    for i, (certain, why) in uses.items():
        if certain:
            sure.setdefault(i, why)
    broken = min(sure, default=None)
    maybe = min((i for i, (certain, _) in uses.items() if not certain), default=None)
    if (
        maybe is not None
        and (broken is None or maybe < broken)
        and not (alone is not None and alone(held[maybe].line))
    ):
        why = f"perhaps aborted: the statement at {at(held[maybe])} {uses[maybe][1]}"
        yield from _deferred(held, why)
        return
    if broken is not None and not (alone is not None and alone(held[broken].line)):
        cause = _aborted(at(held[broken]))
        for i, s in enumerate(held):
            if i == broken:  # (a syntax error: the interpreter records it as it does)
                yield s, (("error", sure[i]) if sure[i] else None)
            else:
                why = ("rolled back: " if i < broken else "not run: ") + cause
                yield s, (None if _control(s) else ("data", why))
        return
    lines = [s.line for s in held]  # as read (the caller shifts what it is given)
    for i, s in enumerate(held):
        if sure.get(i):  # ON_ERROR_ROLLBACK on: refused alone
            yield s, ("error", sure[i])
            continue
        if i in uses:  # (ON_ERROR_ROLLBACK on: perhaps refused alone)
            yield _parsed(s), ("unsupported", f"perhaps refused: it {uses[i][1]}")
            continue
        seen, where = len(unapplied) if unapplied is not None else 0, at(s)
        yield _parsed(s), None  # (a light one parsed again, not kept: memory per statement)
        if unapplied is None or not any(u.kind == "error" for u in unapplied[seen:]):
            continue
        if alone is not None and alone(lines[i]):
            continue
        cause = (
            f"the reading refuses the statement at {where}: if PostgreSQL refused it too, the "
            "transaction aborted and nothing of it stayed (what the reading cannot see, an "
            "extension's objects or the cluster's roles, may have let it run)"
        )
        undone = f"perhaps rolled back: {cause}; applied here before it"
        for line, done in zip(lines[:i], map(_parsed, held[:i]), strict=True):
            if _control(done) is None:  # named again, with the line as read
                yield Statement(done.sql, line, done.node, done.error), ("unsupported", undone)
        reason = "perhaps not run: " + cause
        yield from ((r, None if _control(r) else ("unsupported", reason)) for r in held[i + 1 :])
        return


_REINDEX_MAYBE = (
    "may REINDEX a partitioned relation made or changed earlier in the transaction "
    "(PostgreSQL refuses that inside a transaction block, and the transaction aborts)"
)


def _reindexes_partitioned(
    held: list[Statement], i: int, partitioned: Callable[[ast.ReindexStmt], bool]
) -> bool | None:
    """Whether the REINDEX TABLE / INDEX ``held[i]`` names a partitioned relation where it
    runs: a CREATE TABLE of the name earlier in the transaction decides (PARTITION BY or
    not: a table dropped and made again plain is reindexed there), another earlier statement
    naming it leaves it open (None), none: the model before the transaction decides."""
    node = _parsed(held[i]).node
    if not isinstance(node, ast.ReindexStmt) or node.relation is None:
        return partitioned(node) if isinstance(node, ast.ReindexStmt) else False
    name = str(node.relation.relname or "")
    for earlier in reversed(held[:i]):
        low = earlier.sql.lower()
        if not node.relation.schemaname and _may_move_names(earlier, low):
            return None  # (the unqualified name may resolve elsewhere now: review19 r1, r2)
        if earlier.psql_meta or name.lower() not in low:
            continue
        made = _parsed(earlier).node
        if (
            node.kind == R.REINDEX_OBJECT_TABLE
            and isinstance(made, ast.CreateStmt)
            and made.relation is not None
            and made.relation.relname == name
            and (made.relation.schemaname or None) == (node.relation.schemaname or None)
        ):
            return made.partspec is not None
        if _control(earlier) is None:
            return None
    return partitioned(node)


def _may_move_names(stmt: Statement, low: str) -> bool:
    """Whether ``stmt`` (``low``: its lower-cased text) may change what an unqualified name
    resolves to: a SET / RESET (search_path, a role's "$user"), set_config, a DO block or a
    call of a function or procedure that may run either."""
    if stmt.psql_meta or _control(stmt) is not None:
        return False
    return "search_path" in low or low.lstrip().startswith(("set", "reset", "do", "call", "select"))


def _always(node: ast.ReindexStmt) -> bool:
    return True


def _sure_refusal(
    stmt: Statement, partitioned: Callable[[ast.ReindexStmt], bool] | None = None
) -> str | None:
    """ "" for a statement PostgreSQL cannot parse (the interpreter says why), the reason for
    one it never runs in a transaction block, else None."""
    if _unparsable(stmt):
        return ""
    what = outside_only(stmt, partitioned)
    return f"{what} cannot run inside a transaction block" if what else None


# the words of statements PostgreSQL runs only outside a transaction block (a cheap test)
_OUTSIDE_WORDS = OUTSIDE_WORDS


def outside_only(
    stmt: Statement, partitioned: Callable[[ast.ReindexStmt], bool] | None = None
) -> str | None:
    """The name PostgreSQL 15 gives a statement it refuses inside a transaction block
    (PreventInTransactionBlock: "CREATE INDEX CONCURRENTLY cannot run inside a transaction
    block"), else None. Checked on PostgreSQL 15: ANALYZE, CLUSTER of a table, ALTER TYPE …
    ADD VALUE and CREATE SUBSCRIPTION … (connect = false) run there; REINDEX TABLE / INDEX
    of a partitioned table or index does not (``partitioned``: the model says which)."""
    if stmt.plain or stmt.psql_meta or stmt.error is not None:
        return None  # (plain: a file holding none of the words, outside_words.none_in)
    low = stmt.sql.lower()  # (substrings: much cheaper than a case-insensitive pattern)
    if not any(word in low for word in _OUTSIDE_WORDS):
        return None
    node = _parsed(stmt).node  # (a light one's tree: only for the few these words start)
    if isinstance(node, ast.IndexStmt) and node.concurrent:
        return "CREATE INDEX CONCURRENTLY"
    if isinstance(node, ast.DropStmt) and node.concurrent:
        return "DROP INDEX CONCURRENTLY"
    if isinstance(node, ast.ReindexStmt):
        if node.kind in (
            R.REINDEX_OBJECT_SCHEMA,
            R.REINDEX_OBJECT_SYSTEM,
            R.REINDEX_OBJECT_DATABASE,
        ):
            return f"REINDEX {node.kind.name.rsplit('_', 1)[1]}"
        if any(p.defname == "concurrently" and p.arg is None for p in node.params or ()):
            return "REINDEX CONCURRENTLY"
        if partitioned is not None and partitioned(node):
            what = "TABLE" if node.kind == R.REINDEX_OBJECT_TABLE else "INDEX"
            return f"REINDEX {what} of a partitioned relation"
        return None
    if isinstance(node, ast.VacuumStmt) and node.is_vacuumcmd:
        return "VACUUM"
    if isinstance(node, ast.ClusterStmt) and node.relation is None:
        return "CLUSTER"
    if isinstance(node, ast.DiscardStmt) and node.target == DiscardMode.DISCARD_ALL:
        return "DISCARD ALL"
    if isinstance(node, ast.AlterTableStmt) and any(
        isinstance(cmd, ast.AlterTableCmd)
        and isinstance(cmd.def_, ast.PartitionCmd)
        and cmd.def_.concurrent
        for cmd in node.cmds or ()
    ):
        return "ALTER TABLE ... DETACH CONCURRENTLY"
    if isinstance(node, ast.AlterDatabaseStmt):
        options = {o.defname for o in node.options or ()}
        return "ALTER DATABASE SET TABLESPACE" if "tablespace" in options else None
    if isinstance(node, ast.CreateSubscriptionStmt):  # create_slot: true unless connect = false
        given = {o.defname: _option_on(o.arg) for o in node.options or ()}
        slot = given.get("create_slot", given.get("connect", True))
        return "CREATE SUBSCRIPTION ... WITH (create_slot = true)" if slot else None
    return _OUTSIDE_NODES.get(type(node).__name__)


def _option_on(arg: object) -> bool:
    """A boolean option's value as PostgreSQL reads it (none given: true)."""
    if arg is None:
        return True
    value = str(getattr(arg, "sval", getattr(arg, "boolval", getattr(arg, "ival", arg))))
    return value.lower() not in ("false", "off", "no", "0", "f", "n")


_OUTSIDE_NODES = {
    "AlterSystemStmt": "ALTER SYSTEM",
    "CreatedbStmt": "CREATE DATABASE",
    "DropdbStmt": "DROP DATABASE",
    "CreateTableSpaceStmt": "CREATE TABLESPACE",
    "DropTableSpaceStmt": "DROP TABLESPACE",
}


def _unparsable(stmt: Statement) -> bool:
    """A statement PostgreSQL cannot parse (what the interpreter records as a syntax error;
    not one that parses once psql puts its variables' values in)."""
    return (
        stmt.error is not None
        and not stmt.psql_meta
        and "\\" not in stmt.sql  # (a psql meta-command the splitter kept, `\\g`: unsure)
        and stmt.node is None
        and unknown_psql_variables(stmt.sql) is None
    )


def _aborted(where: str) -> str:
    return (
        f"PostgreSQL refuses the statement at {where}, which aborts its transaction (what "
        "follows is ignored, its COMMIT rolls back)"
    )


def _deferred(held: list[Statement], why: str) -> Iterator[Disposition]:
    """Held statements not applied, each may have changed what it names (control
    statements change nothing: applied as the noise they are)."""
    for s in map(_parsed, held):
        yield s, (None if _control(s) is not None else ("unsupported", why))


class _Light(Statement):
    """A held statement's text and line, its parse dropped (``HOLD_PARSED``)."""

    __slots__ = ()


def _light(stmt: Statement) -> Statement:
    if stmt.error is not None or stmt.psql_meta:  # refused, or psql's: kept as it is
        return stmt
    return _Light(stmt.sql, stmt.line, None, stmt.error)


def _parsed(stmt: Statement) -> Statement:
    """``stmt`` ready to apply: a light one parsed again (as the splitter parsed it)."""
    if type(stmt) is not _Light:
        return stmt
    return Statement(stmt.sql, stmt.line, node_of(parse_lazily(stmt.sql)), stmt.error)


def _wrapped_note(where: str) -> str:
    return (
        f"{where}: ROLLBACK read as psql -f runs the file; a runner applying the file in one "
        "transaction (Flyway, goose, dbmate, sqlx, golang-migrate) also rolls back the "
        "statements before it in the file, which this reading keeps"
    )


def reindexes_partitioned(interp: DdlInterpreter, node: ast.ReindexStmt) -> bool:
    """Whether REINDEX TABLE / INDEX names a partitioned table, or an index of one, that the
    model holds now (PostgreSQL 15: "REINDEX TABLE cannot run inside a transaction block",
    while reindexing partitioned table …)."""
    relation = node.relation
    if relation is None or not relation.relname:
        return False
    if node.kind == R.REINDEX_OBJECT_TABLE:
        table = interp._table(relation, missing_ok=True)
        return table is not None and table.kind == "partitioned"
    if node.kind == R.REINDEX_OBJECT_INDEX:
        home = interp._index_owner(relation.schemaname, str(relation.relname))
        return home is not None and getattr(home[0], "kind", None) == "partitioned"
    return False
