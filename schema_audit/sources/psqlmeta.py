"""psql meta-commands a static reading cannot follow, found so they are reported, not dropped.

``\\i`` / ``\\ir`` / ``\\include`` / ``\\include_relative`` run another file's statements,
``\\gexec`` runs each value the query before it returns as a statement, ``\\gset`` stores its
values in variables later statements use. Blanked like every other meta-command line, the
objects they make were missing from the static model without a word, and a strict set
could PASS a database psql built differently. Each one found here becomes a statement the
reader reports as not applied (file:line), so what it could change is DEFERRED. A reader
of a history with files (``sqlfile``, ``--replay``) follows the includes instead
(``psqlinclude``): only a text read without its files (``lint-migrations``, SQL inside a
migration's code) still reports them.

``\\gexec`` / ``\\gset`` also end the query before them, as psql sends that query there:
read without the end, it was joined with the next statement into one syntax error, which
lost that statement too. Only a line where the command stands outside quotes and comments
(by the line's own text) is taken; a string spanning lines is not followed.
"""

from __future__ import annotations

import re

_INCLUDE = re.compile(r"(?m)^[ \t]*(\\(?:include_relative|include|ir|i)(?![A-Za-z0-9_])[^\n]*)")
# \if / \elif: psql runs the lines after it, or skips them, by its condition (\else, \endif
# only close a branch): the reading applies every branch, so what they make is in doubt
_COND = re.compile(r"(?m)^[ \t]*(\\(?:if|elif)(?![A-Za-z0-9_])[^\n]*)")
_GO = re.compile(r"\\g(?:exec|set)(?![A-Za-z0-9_])[^\n'\"]*$", re.M)
_REASON = {
    "i": "includes another file",
    "ir": "includes another file",
    "include": "includes another file",
    "include_relative": "includes another file",
    "gexec": "runs the query's results as statements",
    "gset": "sets variables from the query's results",
    "if": "runs the statements of its block or skips them by its condition",
    "elif": "runs the statements of its block or skips them by its condition",
}

META = "psql meta-command"  # how the reason of each such piece starts

# (line, the meta-command's text) of each command found
Unread = list[tuple[int, str]]


def reason(command: str) -> str:
    """Why a meta-command piece is not applied (the unapplied statement's reason)."""
    name = command[1:].split(None, 1)[0] if command[1:].strip() else ""
    return (
        f"{META} \\{name} {_REASON.get(name, 'is not SQL')}: not read statically, "
        "what it changes is not in the reading"
    )


def find_unread(sql: str) -> tuple[str, Unread]:
    """``sql`` with the commands taken out (blanked; ``\\gexec`` / ``\\gset`` replaced by the
    ``;`` that ends the query before them; lines kept) and each command's (line, text)."""
    found: list[tuple[int, int, str, str]] = []  # (start, end, text, replacement)
    # a dump's \connect / \restrict lines are no reason to walk its text line by line
    for m in _INCLUDE.finditer(sql) if "\\i" in sql else ():
        found.append((m.start(1), m.end(1), m.group(1).strip(), ""))
    for m in _COND.finditer(sql) if "\\if" in sql or "\\elif" in sql else ():
        found.append((m.start(1), m.end(1), m.group(1).strip(), ""))
    for m in _GO.finditer(sql) if "\\g" in sql else ():
        line_start = sql.rfind("\n", 0, m.start()) + 1
        before = sql[line_start : m.start()]
        if before.lstrip().startswith("\\") or not _outside_quotes(before):
            continue
        found.append((m.start(), m.end(), m.group().strip(), ";"))
    if not found:
        return sql, []
    found.sort()
    parts: list[str] = []
    unread: Unread = []
    pos = 0
    for start, end, text, replacement in found:
        if start < pos:
            continue
        parts.append(sql[pos:start])
        parts.append(replacement.ljust(end - start))
        unread.append((sql.count("\n", 0, start) + 1, text))
        pos = end
    parts.append(sql[pos:])
    return "".join(parts), unread


def _outside_quotes(before: str) -> bool:
    """Whether the end of ``before`` (a line's text before the command) is outside quotes and
    a ``--`` comment, by that text alone."""
    quote = None
    i = 0
    while i < len(before):
        c = before[i]
        if quote is None and before.startswith("--", i):
            return False
        if c in "'\"":
            quote = None if quote == c else (c if quote is None else quote)
        i += 1
    return quote is None
