"""A file's statements cut and parsed by one call of PostgreSQL's parser, in the parsing child.

Why: the child of a long history (``parse_ahead``) cut each file with PostgreSQL's scanner
(``statements.pieces``) and then parsed each statement alone: for the 1,000-table
history's 200 files, 328 M instructions for the cut and 568 M for the 9,514 parses, where
one parse of each whole file is 540 M and gives both (callgrind). Here a plain file is
parsed whole once; each statement of that parse is the piece ``pieces`` would have cut,
with the same text, line and body, and its data the one its own parse gives.

Why the pieces are the same: PostgreSQL 18's parser puts a statement at its first token
(``stmt_location``) and ends it at its ``;`` (``stmt_len``; none: the text's end), where the
scanner's piece runs from the blanks and comments after the ``;`` before it to its last
token or comment before its own ``;``; ``pieces`` then skips the blanks and comments at its
start (``statements.skip_leading``). Checked here for each statement, else the file is
cut by ``pieces`` as before: the skip from the ``;`` before reaches exactly the first token
(a nested comment, a ``--`` comment ended by a carriage return, an empty statement would
not), the piece's end is the statement's end with PostgreSQL's blanks taken off, and a
statement holding a ``;`` is one piece for the scanner too (``BEGIN ATOMIC`` bodies are cut
at each and joined again by ``pieces``: such a file is cut as before).

Why the data is the same: the scanner starts each statement in its first state either way
(after a ``;`` at the top level), so the parser makes the same statement of the same
tokens; only its positions count from the file's start, and a node at the statement's first
character keeps its ``location`` key (a parse of the statement alone omits a 0). The
plain-data readers (``sources.ddl.fast``) read positions only through the node builder,
which counts them from the statement (:class:`_Slice`, and in the other process
``Pending.base``), and test the key's presence nowhere it could be 0 (the first character
of a CREATE, ALTER or GRANT is its keyword: no node with a position).

Only a plain file is parsed whole: ASCII (positions are UTF-8 byte offsets, an ASCII
text's are its character indexes), no backslash (psql's meta-commands and variables:
``pieces`` cuts a text transformed from the file's), no ``stdin`` (a COPY's rows are blanked
before the cut). A file that does not parse whole (a syntax error anywhere) or holds a
statement longer than the limit is cut as before; a statement that may hold an empty string
literal (pglast's parser decides it), or one the plain-data readers do not take, is parsed
alone, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pglast

from schema_audit.pgparse import Parsed, _Builder, may_hold_empty_string
from schema_audit.sources.ddl.fast import read_ahead
from schema_audit.sources.statements import PieceOf, skip_leading, statement_limit

# ``statements.pieces``'s parse step: (chunk, offset, limit, empty_strings) -> its record
Parse = Callable[[str, int, int, bool], Any]

# PostgreSQL's blanks (scan.l ``space``), which end no piece of the scanner's cut
_BLANKS = " \t\n\r\f\v"


class _Slice(Parsed):
    """One statement of a file parsed whole: its data holds positions counted from the
    file's start, ``base`` the statement's own; its builder counts them from the statement,
    as the builder of the statement parsed alone does."""

    __slots__ = ("base",)

    def __init__(self, text: str, data: dict, base: int) -> None:
        super().__init__(text, data)
        self.base = base

    def builder(self, base: int = 0) -> _Builder:
        """Positions counted from the statement, as in the data of its own parse."""
        return super().builder(self.base)

    def tree(self) -> Any:
        """The statement's tree from its own text (never from file-relative positions)."""
        self.data = None
        return super().tree()


def pieces(text: str, alone: Parse) -> list[PieceOf] | None:
    """``statements.pieces(text, alone, True)``'s records, from one parse of ``text``: a
    statement the plain-data readers take as (its text, where it starts in ``text``, the
    read, :func:`read`), any other as ``alone`` makes it of the statement's text; None
    where ``text`` is not cut here (``pieces`` cuts it)."""
    if "\\" in text or "stdin" in text or "STDIN" in text or not text.isascii():
        return None
    try:
        stmts = _statements(pglast.parser.parse_sql_json(text))
    except (pglast.parser.ParseError, ValueError):  # (msgspec's DecodeError: a ValueError)
        return None
    limit = statement_limit()
    empty_strings = may_hold_empty_string(text)
    records: list[PieceOf] = []
    after, line, counted = 0, 1, 0  # after the ``;`` before; line of ``counted``
    for raw in stmts:
        begin, length = raw.stmt_location, raw.stmt_len
        end = begin + length if length else len(text)
        statement = text[begin:end].rstrip(_BLANKS)
        if (
            skip_leading(text, after) != begin
            or not statement
            or statement[-1].isspace()  # a blank the scanner might not take for one
            or len(statement) > limit
            or (";" in statement and _split(statement))
        ):
            return None
        after = end + 1
        line += text.count("\n", counted, begin)
        counted = begin
        body = statement.strip().rstrip(";").strip()
        ahead = None
        if not (empty_strings and may_hold_empty_string(statement)):
            # decoded now, read at once: (the whole file's data decoded first would be read
            # out of the processor's caches: 1.6 MB of SQL, ten times that of objects)
            try:
                stmt = _DECODE[0](raw.stmt)
            except ValueError:  # (never: msgspec made this slice) as before
                return None
            if stmt.__class__ is dict:
                ahead = read(_Slice(statement, {"stmts": [{"stmt": stmt}]}, begin))
        if ahead is not None:
            # (where the positions in its read count from, in place of its JSON)
            records.append((body, line, (statement, begin, ahead), None))
            continue
        try:
            records.append((body, line, alone(statement, 0, limit, empty_strings), None))
        except pglast.parser.ParseError:
            return None  # (never: the statement parsed in its file) as before
    if skip_leading(text, after) < len(text):
        return None  # (never: the parse read the whole text) as before
    return records


_DECODE: list[Any] = []  # msgspec's decoders (of a file's statement list, of one statement)


def _statements(data: str) -> list[Any]:
    """The statements of libpg_query's JSON text of a file, each one's own JSON left as its
    text (``msgspec.Raw``: a slice, decoded when its statement is read)."""
    if not _DECODE:
        import msgspec  # (in the parsing child only, which decodes with it anyway)

        # (made here, not with class annotations: this module's are strings, and the
        # classes exist only in the child)
        raw = msgspec.defstruct(
            "Raw", [("stmt", msgspec.Raw), ("stmt_location", int, 0), ("stmt_len", int, 0)]
        )
        listed = msgspec.defstruct("File", [("stmts", list[raw], [])])  # type: ignore[valid-type]
        _DECODE[:] = [msgspec.json.Decoder().decode, msgspec.json.Decoder(listed).decode]
    return _DECODE[1](data).stmts


def _split(statement: str) -> bool:
    """Whether the scanner cuts ``statement`` (a ``;`` outside a literal, a comment and
    parentheses: ``BEGIN ATOMIC``), where ``pieces`` parses its parts, alone and joined."""
    return len(pglast.parser.split(statement, with_parser=False, only_slices=True)) != 1


def read(parsed: Parsed) -> tuple[str, Any] | None:
    """``fast.read_ahead`` of one statement, None where it fails (this process reads it
    again and meets the same failure)."""
    try:
        return read_ahead(parsed)
    except Exception:  # noqa: BLE001 - that process reads it itself, with the same outcome
        return None
