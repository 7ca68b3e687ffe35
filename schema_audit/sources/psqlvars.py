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
