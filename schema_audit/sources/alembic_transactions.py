"""The transactions ``alembic upgrade`` runs a history's revisions in, for the static reading.

Online on PostgreSQL (transactional DDL), Alembic runs every revision in a transaction:
env.py's ``with context.begin_transaction(): context.run_migrations()`` is one transaction
for every revision of the run, or one per revision with ``transaction_per_migration=True``
(and with ``transactional_ddl=False`` Alembic still begins one per revision: SQLAlchemy 2's
connections begin one by themselves, alembic/runtime/migration.py ``begin_transaction``).
``with op.get_context().autocommit_block():`` commits the transaction so far, runs its body
outside any transaction and begins a new one. A statement PostgreSQL refuses (``CREATE INDEX
CONCURRENTLY`` outside such a block: "cannot run inside a transaction block"; an INSERT into
a missing table) raises, so the transaction is rolled back and the run stops there: no later
revision is applied.

The rendering is offline and emits no BEGIN / COMMIT, so the reading applied every statement
on its own, as ``psql -f`` does: the refused index's earlier statements stayed, and so did
every later revision (a false PASS). :func:`statements` gives each revision's statements
inside a BEGIN … COMMIT of their own, with a COMMIT before and a BEGIN after each
autocommit block (found in the revision's syntax tree, by the lines of the statements the
block's calls emitted), so ``ddl/transactions`` reads the transaction as PostgreSQL runs it.
"""

from __future__ import annotations

import ast as pyast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from schema_audit.sources.statements import Statement, split_statements

if TYPE_CHECKING:
    from schema_audit.sources.alembic import RenderedRevision

_COMMIT_WORD = re.compile(r"(?i)\s*(?:commit|end)\b")
# env.py's context.configure(...) keywords that make the transaction one per revision
_PER_REVISION = {"transaction_per_migration": True, "transactional_ddl": False}


def per_revision(env: Path | None) -> bool:
    """Whether ``env`` (env.py) runs each revision in a transaction of its own (module
    docstring): every ``configure(...)`` call that may run online passes
    ``transaction_per_migration=True`` or ``transactional_ddl=False`` (read from its syntax
    tree: a commented-out option is not one). A call inside a function named for the offline
    mode (the template's ``run_migrations_offline``) configures ``alembic upgrade --sql``
    only, never the database's run: an option there alone said per revision where the online
    run is one transaction (review21: an earlier revision PASSed that the refusal rolled back).
    False (Alembic's default: one transaction for the whole run) when env.py does not say so
    for every online call or cannot be read."""
    from schema_audit.sources.alembic_driver import env_tree, online_nodes

    tree = env_tree(env)
    calls = [
        node
        for node in (online_nodes(tree) if tree is not None else [])
        if isinstance(node, pyast.Call)
        and isinstance(node.func, pyast.Attribute)
        and node.func.attr == "configure"
    ]
    return bool(calls) and all(_says_per_revision(call) for call in calls)


def _says_per_revision(call: pyast.Call) -> bool:
    """Whether ``call`` passes one of the keywords that make the transaction per revision."""
    return any(
        keyword.arg in _PER_REVISION
        and isinstance(keyword.value, pyast.Constant)
        and keyword.value.value is _PER_REVISION[keyword.arg]
        for keyword in call.keywords
    )


def autocommit_lines(tree: pyast.Module | None) -> list[tuple[int, int]]:
    """The (first, last) lines of the body of each ``with …autocommit_block():`` of the
    revision's ``tree``."""
    if tree is None:
        return []
    spans = []
    for node in pyast.walk(tree):
        if not isinstance(node, pyast.With | pyast.AsyncWith) or not node.body:
            continue
        for item in node.items:
            call = item.context_expr
            func = call.func if isinstance(call, pyast.Call) else None
            if isinstance(func, pyast.Attribute) and func.attr == "autocommit_block":
                spans.append((node.body[0].lineno, node.end_lineno or node.body[-1].lineno))
    return spans


def surely_entered(tree: pyast.Module | None) -> list[tuple[int, int]]:
    """The spans of :func:`autocommit_lines` whose ``with`` is a statement of upgrade()'s own
    body (not under an ``if``, a loop or a ``try``): upgrade() enters them whenever it gets
    there. Another block that emits nothing may never run (``if dialect == "sqlite":``,
    review22: taken as committing the run, its earlier revisions PASSed)."""
    upgrade = next(
        (
            node
            for node in (tree.body if tree is not None else [])
            if isinstance(node, pyast.FunctionDef) and node.name == "upgrade"
        ),
        None,
    )
    body = upgrade.body if upgrade is not None else []
    lines = {
        (node.body[0].lineno, node.end_lineno) for node in body if isinstance(node, pyast.With)
    }
    return [span for span in autocommit_lines(tree) if span in lines]


def _control(sql: str, line: int) -> Statement:
    stmt = next(split_statements(sql))
    stmt.line = line
    return stmt


def _flat(
    rev: RenderedRevision, spans: list[tuple[int, int]]
) -> Iterator[tuple[Statement, bool, int]]:
    """Each statement of the revision (each rendered one cut into its own, at their lines),
    whether an autocommit block runs it, and the line upgrade() was running. The block is
    open while upgrade() runs a line of its body: a helper function called there emits
    inside it, at the helper's own lines (alembic22: read by those, its concurrent index
    was refused in the transaction)."""
    last = next((s.line for s in rev.statements if s.line), 1)
    for rendered in rev.statements:
        line = rendered.at or rendered.line or last
        block = rendered.line is not None and any(
            a <= seen <= b for a, b in spans for seen in {line, rendered.line}
        )  # (upgrade()'s line, or the helper's that opens the block itself: review22)
        for stmt in split_statements(rendered.sql, True):
            stmt.line += (rendered.line or last) - 1
            yield stmt, block, line
        last = line


def _hand_commit(stmt: Statement, block: bool) -> bool:
    """Whether ``stmt`` is a COMMIT (END) the revision sends itself in Alembic's transaction
    (``op.execute("COMMIT")``); in an autocommit block one ends nothing."""
    from pglast import ast
    from pglast.enums import TransactionStmtKind as K

    if block or not _COMMIT_WORD.match(stmt.sql):
        return False  # (the tree only for the few that may be one)
    node = stmt.node
    return (
        not block
        and not stmt.psql_meta
        and isinstance(node, ast.TransactionStmt)
        and node.kind == K.TRANS_STMT_COMMIT
        and not node.chain
    )


def statements(
    rev: RenderedRevision,
    spans: list[tuple[int, int]],
    begins_again: bool = False,
    entered: list[tuple[int, int]] | None = None,
) -> list[Statement]:
    """The revision's statements in the transaction Alembic runs them in: BEGIN first,
    COMMIT last, a COMMIT before and a BEGIN after the statements of an autocommit block
    (``spans``: :func:`autocommit_lines`). After a COMMIT the revision sends itself, a BEGIN
    where the driver begins a new transaction at the next statement (``begins_again``:
    psycopg 3, sources/alembic_driver); psycopg2 sends none (what follows runs outside a
    transaction block until Alembic's own COMMIT)."""
    out: list[Statement] = []
    first = next((s.line for s in rev.statements if s.line), 1)
    out.append(_control("BEGIN", first))
    inside = False
    last = first
    # blocks not entered yet: one passed without a statement commits too, when upgrade()
    # surely enters it (``entered``: :func:`surely_entered`)
    empty = sorted(spans if entered is None else entered)
    for stmt, block, line in _flat(rev, spans):
        while empty and empty[0][1] < line:
            if not inside and empty[0][0] > last:
                out.extend((_control("COMMIT", empty[0][0]), _control("BEGIN", empty[0][1])))
            empty.pop(0)
        if block:
            empty = [span for span in empty if not span[0] <= line <= span[1]]
        if block != inside:
            out.append(_control("COMMIT" if block else "BEGIN", line))
            inside = block
        if block and stmt.sql.strip().upper() == "BEGIN":
            continue  # (op.get_bind().commit() in the block: AUTOCOMMIT, nothing begins)
        out.append(stmt)
        if begins_again and _hand_commit(stmt, block):
            out.append(_control("BEGIN", stmt.line))
        last = line
    if inside:
        out.append(_control("BEGIN", last))
    out.append(_control("COMMIT", last))
    return out


def after_last_commit(statements: list[Statement]) -> list[Statement]:
    """What :func:`statements` runs after its last BEGIN or COMMIT before Alembic's own
    (an autocommit block's, or one the revision sends): in the run's transaction again, which a
    later revision's refusal rolls back when the run is one transaction."""
    last = max(
        (
            i
            for i, s in enumerate(statements[:-1])
            if i and (_hand_commit(s, False) or s.sql.strip().upper() == "BEGIN")
        ),
        default=0,
    )
    return statements[last + 1 :]


def after_bind_commit(statements: list[Statement]) -> tuple[int, list[Statement]] | None:
    """(the line of ``op.get_bind().commit()``, what :func:`statements` runs after it outside
    autocommit blocks), or None. In a run that is one transaction (Alembic's template env.py:
    ``with engine.connect()``, ``with context.begin_transaction()``) the commit ends Alembic's
    transaction for good: no block begins it again, and the one SQLAlchemy begins at the next
    statement is rolled back when env.py's connection closes (PostgreSQL 15, Alembic 1.20:
    the later revisions and the version table's rows gone, exit 0), unless env.py commits
    it. The rendering writes the commit as COMMIT and BEGIN (a BEGIN statement, not ours)."""
    for i, stmt in enumerate(statements[:-2]):
        after = statements[i + 1]
        if i and _hand_commit(stmt, False) and after.sql.strip().upper() == "BEGIN":
            rest: list[Statement] = []
            outside = True
            for later in statements[i + 2 : -1]:
                word = later.sql.strip().upper()
                if word in ("COMMIT", "BEGIN"):  # (into a block, out of it)
                    outside = word == "BEGIN"
                elif outside:
                    rest.append(later)
            return stmt.line, rest
    return None


def blocks_run(
    rev: RenderedRevision, spans: list[tuple[int, int]], entered: list[tuple[int, int]]
) -> bool:
    """Whether an autocommit block of the revision surely ran (and committed the run so
    far): one emitted a statement, or upgrade() surely enters it."""
    return bool(entered) or any(block for _, block, _ in _flat(rev, spans))


def commit_lines(rev: RenderedRevision, spans: list[tuple[int, int]]) -> list[int]:
    """The lines of the COMMITs the revision sends itself (:func:`_hand_commit`): each
    commits the run's transaction so far, whatever the driver."""
    return [stmt.line for stmt, block, _ in _flat(rev, spans) if _hand_commit(stmt, block)]


def driver_gap(rev: RenderedRevision, spans: list[tuple[int, int]]) -> tuple[int, int, str] | None:
    """(the COMMIT's line, the refused statement's line, what PostgreSQL calls it) where a
    statement PostgreSQL refuses in a transaction block follows a COMMIT the revision sends
    itself before the next autocommit block: psycopg2 runs it, psycopg (3) refuses it in
    the transaction it begins (sources/alembic_driver). None where the drivers agree."""
    from schema_audit.sources.ddl.transactions import outside_only

    commit: int | None = None
    for stmt, block, _ in _flat(rev, spans):
        if block:
            commit = None  # (Alembic begins its transaction again after the block)
        elif _hand_commit(stmt, block):
            commit = commit or stmt.line
        elif stmt.sql.strip().upper() == "BEGIN":
            commit = None  # (begun again: op.get_bind().commit(), every driver alike)
        elif commit is not None and (what := outside_only(stmt)) is not None:
            return commit, stmt.line, what
    return None


def split_at_commit(
    statements: list[Statement], line: int
) -> tuple[list[Statement], list[Statement]]:
    """:func:`statements` cut after the COMMIT the revision sends itself at ``line``."""
    cut = next(
        i for i, s in enumerate(statements) if i and s.line == line and _hand_commit(s, False)
    )
    return statements[: cut + 1], statements[cut + 1 :]


def bind_commit_reason(file: str, line: int) -> str:
    """Why what runs after ``op.get_bind().commit()`` in a one-transaction run is DEFERRED."""
    return (
        f"perhaps rolled back: op.get_bind().commit() at {file}:{line} ends Alembic's one "
        "transaction for the run (env.py sets no transaction_per_migration); SQLAlchemy "
        "begins another at the next statement, which env.py's connection rolls back as it "
        "closes unless env.py commits it (autocommit blocks' statements stay); applied here"
    )


def driver_reason(file: str, gap: tuple[int, int, str], env: str) -> str:
    """Why the statements after the COMMIT of :func:`driver_gap` (and the later revisions)
    are not applied, what they make DEFERRED."""
    commit, refused, what = gap
    return (
        f"perhaps not run: after the COMMIT at {file}:{commit}, psycopg (3) begins a new "
        f"transaction, where PostgreSQL refuses the {what} at {file}:{refused} and alembic "
        f"stops; psycopg2 begins none and runs it; which driver env.py connects with is not "
        f"known ({env})"
    )


def committed_before(statements: list[Statement], where: str) -> bool:
    """Whether a COMMIT of the refused revision's :func:`statements` (an autocommit block's,
    or one it sends itself) runs before the refusal at ``where`` (``file:line``): it ended
    the run's transaction there. In the order they run, not by lines (a helper function's
    statement carries the helper's)."""
    line = where.rpartition(":")[2]
    if not line.isdigit():
        return False
    for i, stmt in enumerate(statements):
        if i and stmt.line == int(line) and not _hand_commit(stmt, False):
            return any(_hand_commit(s, False) for s in statements[1:i])
    return False


def undone_reason(where: str) -> str:
    """Why a statement of an earlier revision of the run is perhaps not in the database."""
    return (
        f"perhaps rolled back: Alembic runs the revisions of one `alembic upgrade` in one "
        f"transaction (env.py sets no transaction_per_migration), which the refusal at {where} "
        "rolled back; applied here (a database upgraded to here in an earlier run has it)"
    )


def run_note(where: str, revisions: int) -> str:
    """The blind spot of the earlier revisions the run's transaction perhaps undid."""
    plural = "s" if revisions != 1 else ""
    return (
        f"alembic stops at the revision PostgreSQL refuses at {where}, and the run's one "
        f"transaction undoes the {revisions} revision{plural} it ran before (env.py sets no "
        "transaction_per_migration): what they make is DEFERRED (a database upgraded past "
        "them in an earlier run has it)"
    )


def driver_note(file: str, gap: tuple[int, int, str], env: str) -> str:
    """The blind spot of a run read only up to a COMMIT whose sequel is the driver's."""
    commit, refused, what = gap
    return (
        f"{file}:{commit}: COMMIT sent by the revision: psycopg (3) begins a new transaction "
        f"after it, where PostgreSQL refuses the {what} at {file}:{refused} and alembic stops; "
        f"psycopg2 runs it outside any; env.py's driver is not known ({env}: name "
        "postgresql+psycopg:// or postgresql+psycopg2:// there to settle it): the rest of the "
        "revision and the later revisions are DEFERRED"
    )
