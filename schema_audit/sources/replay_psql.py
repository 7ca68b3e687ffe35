"""A SQL file's statements as ``psql -f`` runs them, for ``--replay``: with its meta-commands.

Before, replay sent the statements and dropped every psql meta-command without a word:
an included file (``\\i``), a ``\\gexec`` query's statements, a ``\\connect`` were missing
from the scratch database, and the audit of it was reported as complete. Now the replay runs
what psql would: ``\\set`` variables are substituted (``statements``), ``\\i`` / ``\\ir`` …
files are run in place (``psqlinclude``: the same folders and refusals as the static
reading), ``\\gexec`` runs each value of the query before it as a statement, ``\\gset``
stores the query's one row in variables the statements after it use, and display commands
(``\\echo``, ``\\pset`` …) change nothing. Any other meta-command (``\\connect``, ``\\if``,
``\\copy`` …) stops the replay at its file:line, as an error does: the replay is partial and
the audit says so (every schema finding DEFERRED, exit 2), naming the later ones too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg

from schema_audit.sources.psqlinclude import Includes, is_include
from schema_audit.sources.psqlvars import variables_at
from schema_audit.sources.statements import _blank_copy_data, split_statements

# meta-commands that change neither the database nor which statements run
HARMLESS = frozenset(
    [
        "echo",
        "qecho",
        "warn",
        "pset",
        "a",
        "C",
        "f",
        "H",
        "t",
        "T",
        "x",
        "timing",
        "o",
        "out",
        "encoding",
        "conninfo",
        "restrict",
        "unrestrict",
        "set",
        "unset",
    ]
)
# handed over by the cut as statements of their own (``psqlmeta``), run or stopped there
_AS_STATEMENTS = ("i", "ir", "include", "include_relative", "gexec", "gset")
_COMMAND = re.compile(r"(?m)^[ \t]*\\([A-Za-z_!?]+)[^\n]*")


class NotReplayed(Exception):
    """A meta-command the replay does not run: the replay stops there (file:line)."""

    def __init__(self, message: str, file: str, line: int) -> None:
        super().__init__(message)
        self.file, self.line = file, line


@dataclass(slots=True)
class Where:
    """The statement being run: its file (as reports name it) and line."""

    file: str
    line: int = 0


def unrun(sql: str) -> Iterator[tuple[int, str]]:
    """(line, text) of each meta-command of ``sql`` the replay neither runs nor may skip
    (those the cut hands over as statements, ``\\i`` … ``\\gexec`` ``\\gset``, excepted)."""
    if "\\" not in sql:
        return
    if "stdin" in sql or "STDIN" in sql:  # a COPY's rows (``\\N`` …) are no commands
        sql = _blank_copy_data(sql)
    for m in _COMMAND.finditer(sql):
        name = m[1]
        if name in HARMLESS or name in _AS_STATEMENTS:
            continue
        yield sql.count("\n", 0, m.start()) + 1, m.group().strip()


def not_run(sql: str) -> list[tuple[int, str]]:
    """(line, text) of each meta-command of ``sql`` the replay would stop at, in order (for
    the list a stopped replay gives of what it did not reach)."""
    return sorted(unrun(sql))


def _gset(
    last: psycopg.Cursor | None, command: str, variables: dict[str, str], where: Where
) -> None:
    """psql's ``\\gset [prefix]``: the query's one row into variables (``prefix`` + column
    name; a NULL unsets it). No row or several is psql's error: the replay stops there."""
    rows = last.fetchall() if last is not None and last.description else []
    if len(rows) != 1:
        raise NotReplayed(
            f"psql \\gset: the query before it returned {len(rows)} rows, psql needs exactly "
            "one (an error): the replay is partial, it stops here",
            where.file,
            where.line,
        )
    words = command.split()
    prefix = words[1] if len(words) > 1 else ""
    assert last is not None and last.description is not None
    for column, value in zip(last.description, rows[0], strict=True):
        if value is None:
            variables.pop(prefix + column.name, None)
        else:
            variables[prefix + column.name] = value if isinstance(value, str) else str(value)


def _line_end(text: str, line: int) -> int:
    """The offset just after line ``line`` (1-based) of ``text``."""
    end = 0
    for _ in range(line):
        end = text.find("\n", end) + 1
        if end == 0:
            return len(text)
    return end


def later_meta_commands(stopped: NotReplayed, texts: list[tuple[str, str]], most: int = 5) -> str:
    """The end of a stopped replay's message: the meta-commands it would also stop at that
    come after the stop, in the stopped file's own text (an included file's stop: the rest
    of the including file) and in the files not reached (``texts``: (name, text), the stopped
    file first). Before, only the first was named, and a history with a \\gset in one file
    and a \\connect in a later one looked like it had one gap."""
    later = [
        f"{name}:{line} {text.split(None, 1)[0]}"
        for name, text_of_file in texts
        for line, text in not_run(text_of_file)
        if (name, line) != (stopped.file, stopped.line)
    ]
    if not later:
        return ""
    shown = ", ".join(later[:most]) + (
        f" and {len(later) - most} more" if len(later) > most else ""
    )
    return f"; later meta-commands the replay would not run either: {shown}"


def run_text(
    conn: psycopg.Connection,
    text: str,
    where: Where,
    includes: Includes,
    variables: dict[str, str] | None = None,
) -> dict[str, str]:
    """Run ``text`` (of the file ``where`` names) on ``conn`` as psql runs a script;
    ``where`` follows the statement being run (an included file's own file:line);
    ``variables``: the psql variables set when the text starts (an included file's). The
    meta-commands the replay does not run are stopped at before the statement after them
    (``unrun``); the cut hands over those it runs (``_AS_STATEMENTS``) and ``\\if`` /
    ``\\elif`` (named for the static reading), at which it stops. Returns the
    variables as the text leaves them: psql's are the session's, so what an included file
    sets is what its including file reads after the include."""
    pending = list(unrun(text))
    last: psycopg.Cursor | None = None
    for stmt in split_statements(text, True, variables):
        while pending and pending[0][0] < stmt.line:
            _stop(pending[0][1], where.file, pending[0][0])
        where.line = stmt.line
        if not stmt.psql_meta:
            last = conn.execute(stmt.sql)
            continue
        command = stmt.sql.strip()
        if is_include(command):
            before = variables_at(text, stmt.line, variables)
            after = _include(conn, command, where, includes, before)
            if after != before:  # what follows reads what the included file set: cut again
                return _rest(conn, text, stmt.line, where, includes, after)
        elif command.startswith("\\gset"):
            given = variables_at(text, stmt.line + 1, variables)
            _gset(last, command, given, where)
            # what follows reads the variables as set now: cut again from the next line on
            return _rest(conn, text, stmt.line, where, includes, given)
        elif command.startswith("\\gexec"):
            for row in last.fetchall() if last is not None and last.description else ():
                for value in row:
                    if value is not None:  # psql skips NULLs
                        conn.execute(str(value))
            last = None
        else:  # handed over for the static reading's sake only (\if, \elif): not run here
            _stop(command, where.file, stmt.line)
    if pending:
        _stop(pending[0][1], where.file, pending[0][0])
    return variables_at(text, text.count("\n") + 2, variables)


def _rest(
    conn: psycopg.Connection,
    text: str,
    line: int,
    where: Where,
    includes: Includes,
    variables: dict[str, str],
) -> dict[str, str]:
    """``run_text`` of ``text`` after ``line`` (its lines kept) with ``variables``."""
    return run_text(conn, "\n" * line + text[_line_end(text, line) :], where, includes, variables)


def _include(
    conn: psycopg.Connection,
    command: str,
    where: Where,
    includes: Includes,
    variables: dict[str, str],
) -> dict[str, str]:
    """Run the file ``command`` includes; the variables as it leaves them."""
    at = f"{where.file}:{where.line}"
    path = includes.resolve(command, at)
    text = includes.read(path, at)
    outer = (where.file, where.line)
    includes.reading.append(path)
    where.file = includes.display(path)
    left = run_text(conn, text, where, includes, variables)  # an error leaves ``where`` at it
    includes.reading.pop()
    where.file, where.line = outer
    return left


def _stop(command: str, file: str, line: int) -> None:
    name = command.split(None, 1)[0]
    raise NotReplayed(
        f"psql meta-command {name} is not run by the replay (it could change what the "
        "history builds): the replay is partial, it stops here",
        file,
        line,
    )
