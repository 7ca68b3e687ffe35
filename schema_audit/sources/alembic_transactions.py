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
from pathlib import Path
from typing import TYPE_CHECKING

from schema_audit.sources.statements import Statement, split_statements

if TYPE_CHECKING:
    from schema_audit.sources.alembic import RenderedRevision

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
    if env is None:
        return False
    try:
        tree = pyast.parse(env.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return False
    calls = list(_online_configure_calls(tree))
    return bool(calls) and all(_says_per_revision(call) for call in calls)


def _online_configure_calls(tree: pyast.AST) -> list[pyast.Call]:
    """The ``….configure(...)`` calls of ``tree`` outside functions named for offline mode."""
    found: list[pyast.Call] = []
    for node in pyast.iter_child_nodes(tree):
        if (
            isinstance(node, pyast.FunctionDef | pyast.AsyncFunctionDef)
            and "offline" in node.name.lower()
        ):
            continue  # configures ``alembic upgrade --sql`` only
        if (
            isinstance(node, pyast.Call)
            and isinstance(node.func, pyast.Attribute)
            and node.func.attr == "configure"
        ):
            found.append(node)
        found.extend(_online_configure_calls(node))
    return found


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


def _control(sql: str, line: int) -> Statement:
    stmt = next(split_statements(sql))
    stmt.line = line
    return stmt


def statements(rev: RenderedRevision, spans: list[tuple[int, int]]) -> list[Statement]:
    """The revision's statements (each rendered one cut into its own, at their lines) in the
    transaction Alembic runs them in: BEGIN first, COMMIT last, a COMMIT before and a BEGIN
    after the statements of an autocommit block (``spans``: :func:`autocommit_lines`)."""
    out: list[Statement] = []
    first = next((s.line for s in rev.statements if s.line), 1)
    out.append(_control("BEGIN", first))
    inside = False
    last = first
    for rendered in rev.statements:
        line = rendered.line or last
        block = rendered.line is not None and any(a <= line <= b for a, b in spans)
        if block != inside:
            out.append(_control("COMMIT" if block else "BEGIN", line))
            inside = block
        for stmt in split_statements(rendered.sql, True):
            stmt.line += line - 1
            out.append(stmt)
        last = line
    if inside:
        out.append(_control("BEGIN", last))
    out.append(_control("COMMIT", last))
    return out


def committed_before(spans: list[tuple[int, int]], where: str) -> bool:
    """Whether an autocommit block of the refused revision (``spans``) comes before the
    refusal at ``where`` (``file:line``): its COMMIT ended the run's transaction there."""
    line = where.rpartition(":")[2]
    return line.isdigit() and any(first < int(line) for first, _ in spans)


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
