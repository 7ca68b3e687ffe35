"""Whitespace between SQL tokens, told apart from whitespace PostgreSQL keeps.

A string literal, a quoted name and a dollar-quoted body keep their own whitespace: it is
part of the value (``'two  spaces'`` is not ``'two spaces'``; a function body is stored as
written, prosrc). Every comparison that means "equal but for spacing" goes through here, so
none collapses a literal's spaces (each such collapse was a false PASS). No pglast import:
the kinds compare with it on every audit.
"""

from __future__ import annotations

import re


def one_line(sql: str) -> str:
    """``sql`` on one line: each run of whitespace (and each comment) between tokens made one
    space, every token kept as written. A string literal, quoted name or dollar-quoted body
    keeps its own whitespace, which is part of its value: ``'two  spaces'`` is not
    ``'two spaces'``, and a function body's lines are prosrc's. Collapsing them made a
    rendered Alembic default or body differ from the catalog's (a false FAIL; found on
    polarsource/polar) and two expressions differing only in a literal's spaces compare
    equal (a false PASS). A quote that is not closed is an ordinary character here."""
    if not _RUN.search(sql):
        return sql.strip()  # (no run of whitespace, no tab or newline: the usual case)
    if not any(mark in sql for mark in ("'", '"', "$", "--", "/*")):
        return " ".join(sql.split())
    out: list[str] = []
    space = False  # whitespace or a comment since the last text written

    def text(piece: str) -> None:
        nonlocal space
        if space and out:
            out.append(" ")
        out.append(piece)
        space = False

    at = 0
    for match in _QUOTED.finditer(sql):
        for plain in (sql[at : match.start()],) if match.start() > at else ():
            words = plain.split()
            space = space or plain[0].isspace()
            if words:
                text(" ".join(words))
                space = plain[-1].isspace()
        if match.group("comment") is not None:
            space = True
        else:
            text(match.group())
        at = match.end()
    plain = sql[at:]
    if plain.split():
        space = space or plain[0].isspace()
        text(" ".join(plain.split()))
    return "".join(out)


_RUN = re.compile(r"\s\s|[^\S ]|--|/\*")  # a whitespace run, a tab or newline, a comment
# quoted text (keeps its own whitespace) and comments (one space), as PostgreSQL's scanner
# reads them; the lookahead lets the engine skip every other character quickly
_QUOTED = re.compile(
    r"""(?=[$'"eE\-/])(?:"""
    r"""(?<![\w$])\$(?P<tag>(?:[^\W\d]\w*)?)\$.*?\$(?P=tag)\$"""
    r"""|(?<![\w$])[eE]'(?:[^'\\]|\\.|'')*'"""
    r"""|'(?:[^']|'')*'"""
    r'|"(?:[^"]|"")*"'
    r"""|(?P<comment>--[^\n]*|/\*.*?\*/))""",
    re.S,
)


def folded(sql: str) -> str:
    """``sql`` as :func:`one_line` makes it, with what is outside quotes lower-cased, as
    PostgreSQL folds unquoted names and keywords: ``TABLE(Id INTEGER)`` is
    ``table(id integer)``, while ``"Id"`` and ``"ID"`` stay two names and a quoted name keeps
    its spaces (lower-casing the whole text made a result column renamed from ``"Id"`` to
    ``"ID"`` PASS)."""
    text = one_line(sql)
    out: list[str] = []
    at = 0
    for match in _QUOTED.finditer(text):
        out.append(text[at : match.start()].lower())
        out.append(match.group())
        at = match.end()
    out.append(text[at:].lower())
    return "".join(out)


def words(sql: str) -> list[str]:
    """``sql`` split at whitespace (and comments) between tokens, as ``str.split`` would,
    except that a quoted piece keeps its own whitespace inside one word: the words of
    ``'eu west'`` are one word, not two, so a literal changed in its spaces differs."""
    out: list[str] = []
    current: list[str] = []

    def plain_text(plain: str) -> None:
        for piece in re.split(r"(\s+)", plain):
            if piece and piece[0].isspace():
                flush()
            elif piece:
                current.append(piece)

    def flush() -> None:
        if current:
            out.append("".join(current))
            current.clear()

    at = 0
    for match in _QUOTED.finditer(sql):
        plain_text(sql[at : match.start()])
        if match.group("comment") is not None:
            flush()
        else:
            current.append(match.group())
        at = match.end()
    plain_text(sql[at:])
    flush()
    return out


def stored_body(body: str) -> str:
    """A function body as compared: PostgreSQL's prosrc with line endings made LF.

    prosrc keeps the text between the dollar quotes byte for byte, so re-creating a
    function from the same text stores the same body; only the line ending style is not
    compared (a file checked out with CRLF, read by Python as LF, stores the same function
    as far as the program is concerned). Every other character counts, whitespace inside
    lines and string literals included: collapsing it could hide a changed literal."""
    return body.replace("\r\n", "\n").replace("\r", "\n")
