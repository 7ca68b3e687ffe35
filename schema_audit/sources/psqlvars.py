"""psql's ``\\set`` variables, read as psql reads a script given to ``psql -f``.

A script that sets variables (``\\set schema_name app``) and uses them (``CREATE SCHEMA
:schema_name``, ``COMMENT … IS :'owner'``, ``GRANT … TO :"role"``) runs the statements with
the values in place. Read without them, each such statement was a syntax error, taken as
one PostgreSQL refused (nothing changed), while psql ran it: a table it created was
missing from the static model. psql substitutes a variable it knows outside quotes,
quoted identifiers, dollar quotes and comments (``:name`` as is, ``:'name'`` as a literal,
``:"name"`` as an identifier) and leaves an unknown one as written; ``::type`` is a cast.
Meta-command lines (``\\set``, ``\\echo`` …, indented too) are blanked, line numbers kept.
Only a text with a ``\\set`` line is scanned (a large dump without one is not walked).
"""

from __future__ import annotations

import re

_SETS = re.compile(r"(?m)^[ \t]*\\(?:set|unset)\b")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOLLAR = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")
_ARG = re.compile(r"'((?:[^']|'')*)'|\"((?:[^\"]|\"\")*)\"|(\S+)")


def has_variables(sql: str) -> bool:
    """Whether the text sets psql variables (then :func:`interpolate` must read it)."""
    return "\\" in sql and _SETS.search(sql) is not None


def _meta(line: str, variables: dict[str, str]) -> None:
    """Apply one meta-command line: ``\\set name value…`` (values concatenated, as psql
    does; quotes undone) and ``\\unset name``; any other is not SQL and changes no variable."""
    words = line.strip()[1:].split(None, 1)
    if not words or words[0] not in ("set", "unset"):
        return
    args = [
        (m[1].replace("''", "'") if m[1] is not None else None)
        or (m[2].replace('""', '"') if m[2] is not None else None)
        or m[3]
        or ""
        for m in _ARG.finditer(words[1] if len(words) > 1 else "")
    ]
    if not args or not _NAME.fullmatch(args[0]):
        return
    if words[0] == "unset":
        variables.pop(args[0], None)
    else:
        variables[args[0]] = "".join(args[1:])


def _value(kind: str, value: str) -> str:
    if kind == "'":
        return "'" + value.replace("'", "''") + "'"
    if kind == '"':
        return '"' + value.replace('"', '""') + '"'
    return value


def interpolate(sql: str, variables: dict[str, str] | None = None) -> str:
    """``sql`` as psql sends it to the server: meta-command lines blanked, known variables
    substituted outside quotes and comments; newlines kept (lines do not move).
    ``variables``: those set before the text starts (an included file sees the ones its
    including file set before the ``\\i``: one psql session); not changed here."""
    return _scan(sql, dict(variables or {}), len(sql))[0]


def variables_at(sql: str, line: int, variables: dict[str, str] | None = None) -> dict[str, str]:
    """The variables set when psql reaches ``line`` of ``sql`` (``\\set`` / ``\\unset`` lines
    before it, outside quotes and comments), starting from ``variables``."""
    if line <= 1:
        return dict(variables or {})
    end = 0
    for _ in range(line - 1):
        end = sql.find("\n", end) + 1
        if end == 0:
            end = len(sql)
            break
    return _scan(sql, dict(variables or {}), end)[1]


def _scan(sql: str, variables: dict[str, str], stop: int) -> tuple[str, dict[str, str]]:
    """(the text up to ``stop`` as psql sends it, the variables set there)."""
    out: list[str] = []
    i, n = 0, stop
    line_start = True
    while i < n:
        c = sql[i]
        if line_start:
            j = i
            while j < n and sql[j] in " \t":
                j += 1
            if j < n and sql[j] == "\\":
                end = sql.find("\n", j)
                end = n if end < 0 else end
                _meta(sql[j:end], variables)
                i = end
                line_start = False
                continue
        line_start = c == "\n"
        if c == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end])
            i = end
        elif c == "/" and sql.startswith("/*", i):
            end = _comment_end(sql, i)
            out.append(sql[i:end])
            line_start = sql[end - 1 : end] == "\n"
            i = end
        elif c in "'\"":
            escapes = c == "'" and i > 0 and sql[i - 1] in "Ee" and not sql[i - 2 : i - 1].isalnum()
            end = _quoted_end(sql, i, c, escapes)
            out.append(sql[i:end])
            i = end
        elif c == "$" and (m := _DOLLAR.match(sql, i)) and (i == 0 or not sql[i - 1].isalnum()):
            close = sql.find(m.group(), m.end())
            end = n if close < 0 else close + len(m.group())
            out.append(sql[i:end])
            i = end
        elif c == ":" and sql.startswith("::", i):
            out.append("::")
            i += 2
        elif c == ":":
            i = _variable(sql, i, variables, out)
        else:
            out.append(c)
            i += 1
    return "".join(out), variables


def _variable(sql: str, i: int, variables: dict[str, str], out: list[str]) -> int:
    """``:name`` / ``:'name'`` / ``:"name"`` at ``i``: its value when known (else as written);
    the index after it."""
    kind = sql[i + 1 : i + 2]
    if kind in ("'", '"'):
        m = _NAME.match(sql, i + 2)
        if m and sql[m.end() : m.end() + 1] == kind and m.group() in variables:
            out.append(_value(kind, variables[m.group()]))
            return m.end() + 1
    else:
        m = _NAME.match(sql, i + 1)
        if m and m.group() in variables:
            out.append(variables[m.group()])
            return m.end()
    out.append(":")
    return i + 1


def _backslashed(sql: str, k: int) -> bool:
    """Whether the character at ``k`` follows an odd number of backslashes."""
    count = 0
    while k - count - 1 >= 0 and sql[k - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _comment_end(sql: str, i: int) -> int:
    """The end of the (nested) block comment starting at ``i``."""
    depth, j = 0, i
    while j < len(sql):
        if sql.startswith("/*", j):
            depth, j = depth + 1, j + 2
        elif sql.startswith("*/", j):
            depth, j = depth - 1, j + 2
            if depth == 0:
                return j
        else:
            j += 1
    return len(sql)


def _quoted_end(sql: str, i: int, quote: str, escapes: bool = False) -> int:
    """The end of the string or quoted identifier starting at ``i`` (a doubled quote is one;
    ``escapes``: an E'' string, where a backslash escapes the quote too)."""
    j = i + 1
    while True:
        k = sql.find(quote, j)
        if k < 0:
            return len(sql)
        if escapes and _backslashed(sql, k):
            j = k + 1
            continue
        if sql.startswith(quote * 2, k):
            j = k + 2
            continue
        return k + 1


# \if / \elif / \else / \endif at the start of a line (psql's conditional blocks)
_BRANCH = re.compile(r"[ \t]*\\(if|elif|else|endif)(?![A-Za-z0-9_])(.*)")
_FOLLOWS = re.compile(r"[ \t]*\\(?:i|ir|include|include_relative)(?![A-Za-z0-9_])|.*\\gset")
_BOOLS = (("true", 1, True), ("false", 1, False), ("yes", 1, True), ("no", 1, False))


def _boolean(text: str) -> bool | None:
    """psql's ParseVariableBool: true/false/yes/no by any prefix, on/off by two letters or
    more, 1 / 0; None for anything else."""
    value = text.strip().lower()
    if value in ("1", "0"):
        return value == "1"
    if len(value) >= 2 and "on".startswith(value):
        return True
    if len(value) >= 2 and "off".startswith(value):
        return False
    for word, shortest, meaning in _BOOLS:
        if len(value) >= shortest and word.startswith(value):
            return meaning
    return None


def resolve_conditionals(sql: str, variables: dict[str, str] | None = None) -> str:
    """``sql`` with psql's ``\\if`` blocks decided where psql's choice follows from the script
    alone: a condition that is a boolean constant, or a variable the script ``\\set`` before
    it (outside skipped branches). The branches psql skips are blanked, and the ``\\if`` /
    ``\\elif`` / ``\\else`` / ``\\endif`` lines too (lines kept). A block whose condition
    is not known so (a variable the runner passes with ``psql -v``, or one an include or a
    ``\\gset`` may set) is left as written: the reading names its ``\\if`` and what follows
    is DEFERRED (psqlmeta)."""
    known: dict[str, str] | None = dict(variables or {})  # None: any may have changed
    lines = sql.split("\n")
    out: list[str] = []
    stack: list[list[bool]] = []  # per open \if: [this branch runs, one ran, undecided]
    for line in lines:
        undecided = any(frame[2] for frame in stack)
        running = all(frame[0] for frame in stack)
        branch = _BRANCH.match(line)
        if branch is None:
            if (running or undecided) and _FOLLOWS.match(line):
                known = None  # an include or \gset may set any variable
            elif (running or undecided) and line.lstrip().startswith("\\") and known is not None:
                before = dict(known)
                _meta(line, known)
                if undecided:  # set in a block psql may skip: not known after it
                    for name in set(known) | set(before):
                        if known.get(name) != before.get(name):
                            known.pop(name, None)
            out.append(line if running or undecided else "")
            continue
        word, rest = branch[1], branch[2]
        if word == "if":
            value = None
            if running and not undecided and known is not None:
                value = _boolean(_scan(rest, dict(known), len(rest))[0])
            if running and value is None:
                stack.append([True, False, True])  # psql decides: every branch kept
                out.append(line)
                continue
            stack.append([bool(value), bool(value), undecided])
        elif not stack:
            return sql  # an \elif / \else / \endif without its \if: left as read
        elif word == "elif":
            frame = stack[-1]
            if frame[2]:
                out.append(line)
                continue
            value = None
            if all(f[0] for f in stack[:-1]) and known is not None:
                value = _boolean(_scan(rest, dict(known), len(rest))[0])
            elif not frame[1]:
                value = False  # an outer branch that does not run: nothing inside runs
            if value is None and not frame[1]:
                return sql  # decided false so far, this one not known: left as read
            frame[0] = bool(value) and not frame[1]
            frame[1] = frame[1] or frame[0]
        elif word == "else":
            frame = stack[-1]
            if frame[2]:
                out.append(line)
                continue
            frame[0], frame[1] = not frame[1], True
        else:
            frame = stack.pop()
            if frame[2]:
                out.append(line)
                continue
        out.append("")
    return sql if stack else "\n".join(out)


class _Recorder(dict):
    """Variables that are all set, to a stand-in value, each name asked for recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def __contains__(self, name: object) -> bool:
        return True

    def __getitem__(self, name: str) -> str:
        self.asked.append(name)
        return "sa_psql_variable"


def unset_variables(sql: str) -> tuple[str, list[str]]:
    """(``sql`` with each psql variable it still uses, outside quotes and comments, replaced
    by a stand-in, the variables' names): a statement that parses so failed only because
    psql would have put a value there that this reading does not know."""
    recorder = _Recorder()
    text = _scan(sql, recorder, len(sql))[0]
    return text, list(dict.fromkeys(recorder.asked))


def unknown_psql_variables(sql: str) -> str | None:
    """Why a statement that does not parse is not a syntax error: it uses psql variables
    this reading does not know, and parses with a value in their place (``CREATE TABLE
    :schema_name.items …`` after ``\\i vars.sql`` sets ``schema_name``: psql runs it). None
    when it does not use one, or does not parse either way."""
    if ":" not in sql:
        return None
    from schema_audit.pgparse import parse_sql

    text, names = unset_variables(sql)
    if not names:
        return None
    try:
        parse_sql(text)
    except Exception:  # noqa: BLE001 - not a statement psql's values would make parse
        return None
    shown = ", ".join(f":{name}" for name in names)
    return (
        f"uses psql variable(s) {shown}, not set in this file before it (an included file's "
        "\\set or the runner's psql -v sets them): not read statically, what it changes is "
        "not in the reading"
    )
