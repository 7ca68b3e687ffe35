"""Cutting SQL text into statements, each with its line and its own syntax tree.

One module for every reader of SQL files: the DDL interpreter, the migration linter,
replay and the DO-block runner all cut text the same way, so a statement has the same
file:line everywhere it is reported. The cut is PostgreSQL's own scanner (pglast, in C),
with a small lexer of ours for text the scanner cannot cope with; each piece is parsed
alone and handed over before the next is parsed (a dump is never one syntax tree), and a
syntax error costs only the statement it is in.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pglast
from pglast import ast

from schema_audit.pgparse import Parsed, may_hold_empty_string, parse_lazily
from schema_audit.sources.psqlmeta import META, find_unread, reason
from schema_audit.sources.psqlvars import has_variables, interpolate, resolve_conditionals


class Statement:
    """One statement of a SQL text: its text (no trailing semicolon), first line, tree or error.

    The tree is built when ``node`` is first read: the DDL interpreter reads the statements
    it knows straight from the parser's plain data (``parsed``, ``sources.ddl.fast``) and
    never needs most trees; every other reader sees no difference.
    """

    __slots__ = ("sql", "line", "_node", "error")
    # True for a statement of a text holding none of the words of a statement run outside a
    # transaction block (``outside_words.none_in``, asked by the parsing child): the checks
    # for such a statement skip it (a subclass of the child's reads: ``parse_ahead``)
    plain = False

    def __init__(
        self, sql: str, line: int, node: ast.Node | Parsed | None, error: str | None = None
    ) -> None:
        self.sql = sql
        self.line = line
        self._node = node
        self.error = error

    @property
    def node(self) -> ast.Node | None:
        node = self._node
        if isinstance(node, Parsed):
            tree = node.tree()
            node = self._node = tree[0].stmt if tree else None
        return node

    @node.setter
    def node(self, value: ast.Node | None) -> None:
        self._node = value

    @property
    def psql_meta(self) -> bool:
        """Whether this is a psql meta-command the reading cannot follow (``psqlmeta``)."""
        return self._node is None and (self.error or "").startswith(META)

    @property
    def parsed(self) -> Parsed | None:
        """The parser's plain data while no tree has been built from it, else None."""
        node = self._node
        return node if isinstance(node, Parsed) else None

    def __repr__(self) -> str:
        return f"Statement(sql={self.sql!r}, line={self.line}, error={self.error!r})"


# (body, line, parse result or None, error or None) of one statement (``pieces``)
PieceOf = tuple[str, int, Any, str | None]


def skip_leading(text: str, pos: int) -> int:
    """Position of the first character of a statement (after blanks and comments)."""
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
        elif text.startswith("--", pos):
            end = text.find("\n", pos)
            pos = len(text) if end < 0 else end + 1
        elif text.startswith("/*", pos):
            end = text.find("*/", pos + 2)
            pos = len(text) if end < 0 else end + 2
        else:
            break
    return pos


def split_statements(
    sql: str, psql_meta: bool = False, variables: dict[str, str] | None = None
) -> Iterator[Statement]:
    """Statements of ``sql`` with their line numbers, parsed one at a time; a syntax error stays local.

    The text is cut by PostgreSQL's own lexer (pglast's scanner split, in C) and each
    piece is parsed on its own and handed over before the next is parsed, so memory
    holds one statement's syntax tree, not a whole 200 MB dump's. A piece that does not
    parse alone is joined with the following ones until it does (``BEGIN ATOMIC … END``
    bodies contain semicolons); if it never does, it is reported alone. ``psql_meta``: the
    psql meta-commands a reading cannot follow (``\\i``, ``\\gexec`` …) come as statements
    of their own (no node; ``Statement.psql_meta``) for the readers that report them.
    ``variables``: psql variables set before the text starts (an included file's).
    """
    for body, line, node, error in pieces(sql, _parse_one, psql_meta, variables):
        yield Statement(body, line, node, error)


def pieces(
    sql: str,
    parse: Callable[[str, int, int, bool], Any],
    psql_meta: bool = False,
    variables: dict[str, str] | None = None,
) -> Iterator[PieceOf]:
    """(body, line, what ``parse`` made of it, error) of each statement of ``sql``: the cut of
    :func:`split_statements`, with the parse step given (``_parse_one``, or
    ``parse_ahead``'s, which keeps the parser's JSON text to hand over to another process).
    ``parse(chunk, offset, limit, empty_strings)`` raises ParseError where ``_parse_one``
    does: a piece joins the following ones on the same verdicts."""
    # COPY … FROM stdin rows (a pg_dump with data) are not SQL: blank them first
    sql = _blank_copy_data(sql) if "stdin" in sql or "STDIN" in sql else sql
    # \if blocks psql decides from the script alone: the branches it skips blanked (psqlvars)
    sql = resolve_conditionals(sql, variables) if "\\if" in sql else sql
    # \i, \gexec …: taken out, each handed over in its place when asked for (psqlmeta)
    sql, unread = find_unread(sql) if "\\" in sql else (sql, [])
    unread = unread if psql_meta else []
    told = 0
    # psql meta-commands (\connect, \restrict …) are not SQL; blank them, keeping line numbers
    # (a script setting variables: read as psql reads it, the values in place)
    if variables or has_variables(sql):
        text = interpolate(sql, variables)
    else:
        text = re.sub(r"(?m)^\\.*$", "", sql) if "\\" in sql else sql
    cuts = _statement_slices(text)
    # read once per text, not once per statement (9,500 environment look-ups and regex
    # searches a 1,000-table history): no statement of a text without an empty string
    # literal holds one
    limit = statement_limit()
    empty_strings = may_hold_empty_string(text)
    counted_to, newlines = 0, 0
    index = 0
    while index < len(cuts):
        start, end = cuts[index]
        chunk = text[start:end]
        offset = skip_leading(chunk, 0)
        node: Any
        try:
            node = parse(chunk, offset, limit, empty_strings)
            taken = 1
        except pglast.parser.ParseError as exc:
            node, taken = exc, 1
            joinable = 1 if isinstance(exc, StatementTooLarge) else MAX_JOINED_PIECES
            for extra in range(1, min(joinable, len(cuts) - index)):
                joined = text[start : cuts[index + extra][1]]
                at = skip_leading(joined, 0)
                try:
                    node = parse(joined, at, limit, empty_strings)
                except pglast.parser.ParseError:
                    continue
                end, taken = cuts[index + extra][1], extra + 1
                chunk, offset = joined, at
                break
        index += taken
        newlines += text.count("\n", counted_to, start)  # statements come in order: each byte once
        counted_to = start
        line = newlines + chunk.count("\n", 0, offset) + 1
        body = chunk[offset:].strip().rstrip(";").strip()
        if not body:
            continue
        while told < len(unread) and unread[told][0] < line:
            yield unread[told][1], unread[told][0], None, reason(unread[told][1])
            told += 1
        if isinstance(node, Exception):
            yield body, line, None, str(node).splitlines()[0]
        else:
            yield body, line, node, None
    for at, command in unread[told:]:
        yield command, at, None, reason(command)


# psql reads the rows of a ``COPY … FROM stdin;`` from the script itself, up to a line ``\.``
_COPY_FROM_STDIN = re.compile(r"(?im)^[ \t]*COPY\b[^;]*\bFROM[ \t\n]+STDIN\b[^;]*;[ \t]*$")
_END_OF_DATA = re.compile(r"(?m)^\\\.[ \t]*$")


def _blank_copy_data(sql: str) -> str:
    """``sql`` with the rows of each ``COPY … FROM stdin;`` blanked (line numbers kept).

    pg_dump writes a table's rows that way; read as SQL, each row was a syntax error and the
    statement after the rows (pg_dump's ``ALTER TABLE … ADD CONSTRAINT … PRIMARY KEY``) was
    swallowed with them: the primary key was missing from the static reading. The COPY
    itself stays (a data change)."""
    parts: list[str] = []
    pos = 0
    while (copy := _COPY_FROM_STDIN.search(sql, pos)) is not None:
        rows = copy.end()
        end = _END_OF_DATA.search(sql, rows)
        stop = end.end() if end is not None else len(sql)  # psql reads to the end without one
        parts.append(sql[pos:rows])
        parts.append("\n" * sql.count("\n", rows, stop))
        pos = stop
    parts.append(sql[pos:])
    return "".join(parts)


# How many following pieces a statement that does not parse alone may absorb (BEGIN ATOMIC).
MAX_JOINED_PIECES = 64


# A syntax tree costs about 60 bytes of memory per character of SQL: a longer statement
# (data, not schema: a 100 MB INSERT) is not parsed but reported, file:line, as not read.
MAX_STATEMENT_CHARS = 4 * 1024 * 1024
STATEMENT_LIMIT_ENV = "SCHEMA_AUDIT_MAX_STATEMENT_CHARS"


class StatementTooLarge(pglast.parser.ParseError):
    """A statement longer than the limit: reported with its line, never parsed."""


def statement_limit() -> int:
    raw = os.environ.get(STATEMENT_LIMIT_ENV, "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else MAX_STATEMENT_CHARS


def _parse_one(
    chunk: str, offset: int, limit: int, empty_strings: bool = True
) -> ast.Node | Parsed | None:
    """The statement of ``chunk``, which starts at ``offset`` (``skip_leading``); ``limit``:
    ``statement_limit()``; ``empty_strings``: False when the text holds no empty string
    literal (``pgparse.may_hold_empty_string``)."""
    # pgparse: ParseError "stack depth limit exceeded", no crash; the tree is built on demand
    return node_of(parse_lazily(statement_of(chunk, offset, limit), empty_strings))


def statement_of(chunk: str, offset: int, limit: int) -> str:
    """The statement's text in ``chunk`` (from ``offset``); StatementTooLarge past ``limit``."""
    # leading comments and blank lines are not the statement: a 50 MB comment before a
    # short CREATE TABLE costs nothing to skip and must not make it "too long"
    statement = chunk[offset:] if offset else chunk
    if len(statement) > limit:
        raise StatementTooLarge(
            f"statement of {len(statement):,} characters is longer than the {limit:,} that are "
            f"read ({STATEMENT_LIMIT_ENV} raises the limit); not read"
        )
    return statement


def node_of(parsed: Parsed | tuple[ast.RawStmt, ...]) -> ast.Node | Parsed | None:
    """A :class:`Statement`'s node from ``parse_lazily``'s result (None: no statement)."""
    if isinstance(parsed, Parsed):
        return None if parsed.empty() else parsed
    return parsed[0].stmt if parsed else None


def _statement_slices(text: str) -> list[tuple[int, int]]:
    """Character ranges of the statements: PostgreSQL's scanner, or our lexer when it cannot cope.

    The scanner tracks parentheses, so an unclosed one would swallow the rest of the file
    (and pglast then drops that rest); when the ranges do not account for every
    non-comment character, the small lexer below, which ignores parentheses, decides.
    """
    try:
        slices = [
            (s.start, s.stop)
            for s in pglast.parser.split(text, with_parser=False, only_slices=True)
        ]
    except pglast.parser.ParseError:
        return _scanner_slices(text)
    covered = 0
    for start, end in slices + [(len(text), len(text))]:
        gap = text[covered:start]
        if gap.strip(" \t\r\n;") and skip_leading(gap.replace(";", " "), 0) < len(gap):
            return _scanner_slices(text)
        covered = end
    return slices


_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def _scanner_slices(text: str) -> list[tuple[int, int]]:
    """Character ranges of statements, split on top-level semicolons by a small lexer.

    Used only when PostgreSQL's scanner cannot split the text: it respects quotes, dollar
    quotes and comments but ignores parentheses, so one broken statement (say an
    unclosed parenthesis) cannot swallow the rest of the file.
    """
    cuts: list[int] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "'" or ch == '"':
            j = i + 1
            while j < n:
                if text[j] == ch:
                    if j + 1 < n and text[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            i = j + 1
        elif text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif ch == "$" and (m := _DOLLAR.match(text, i)):
            j = text.find(m.group(0), m.end())
            i = n if j < 0 else j + len(m.group(0))
        elif ch == ";":
            cuts.append(i + 1)
            i += 1
        else:
            i += 1
    ranges, start = [], 0
    for cut in cuts + ([n] if not cuts or cuts[-1] < n else []):
        ranges.append((start, cut))
        start = cut
    return ranges
