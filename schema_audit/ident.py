"""One rule for identifiers, whichever side they come from.

A name is stored as PostgreSQL stores it (``userId`` stays ``userId``,
``users`` stays ``users``) and compared exactly; it is printed quoted when it
needs quotes (``"userId"``), the way ``quote_ident()`` does.

A spec is YAML, not SQL, so a spec name is read as the stored name:
``userId`` means the column PostgreSQL stores as ``userId`` (a Prisma
project's every column). A spec may also write the SQL spelling: ``"userId"``
(quoted: exactly that name) or an unquoted name that PostgreSQL would fold
(``UserName`` for ``username``); the folded reading is taken only when no
object carries the name exactly as written, so it is never ambiguous.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from schema_audit.model import quote_ident

_BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def unquote(text: str) -> tuple[str, bool]:
    """The name a spec wrote, and whether it was written quoted (``"a""b"`` → ``a"b``)."""
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] == '"' and stripped[-1] == '"':
        return stripped[1:-1].replace('""', '"'), True
    return stripped, False


def split_qualified(text: str, *, fold: bool) -> list[str] | None:
    """``s."Mixed.Case"`` → ``['s', 'Mixed.Case']``: the parts of a dotted name, quotes
    undone; None when the quoting is broken. ``fold`` lowercases unquoted parts as
    PostgreSQL's name input does (a regclass literal); without it they stay as written (a
    spec's ``C`` is the collation ``C``)."""
    parts: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == '"':
            j, buf = i + 1, []
            while j < n:
                if text[j] == '"':
                    if j + 1 < n and text[j + 1] == '"':
                        buf.append('"')
                        j += 2
                        continue
                    break
                buf.append(text[j])
                j += 1
            if j >= n:
                return None
            parts.append("".join(buf))
            i = j + 1
        else:
            j = text.find(".", i)
            j = n if j < 0 else j
            word = text[i:j].strip()
            if not word or '"' in word:
                return None
            parts.append(word.lower() if fold else word)
            i = j
        if i < n:
            if text[i] != ".":
                return None
            i += 1
    return parts or None


# the white space PostgreSQL's scanner skips (scanner_isspace)
_SPACE = " \t\n\r\f\v"
_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def split_identifier_list(text: str, *, fold: bool = True) -> list[str] | None:
    """The names of a list setting's value as PostgreSQL 15 reads it (``SplitIdentifierString``,
    for ``search_path``): apart at commas outside double quotes, a quoted name as written
    (``""`` a quote; ``"other, public"`` is ONE schema), an unquoted one trimmed and
    lower-cased (ASCII, as ``downcase_identifier``; not with ``fold``: a spec's spelling);
    None where PostgreSQL refuses the list's syntax. Why: split at every comma, a
    ``SET search_path = 'other, public'`` was read as two schemas and the migration's
    tables made in ``other``, where PostgreSQL finds no schema to create in."""
    names: list[str] = []
    i, n = 0, len(text)
    while i < n and text[i] in _SPACE:
        i += 1
    if i == n:
        return names  # an empty list
    while True:
        if i == n:
            return None  # a comma with no name after it
        if text[i] == '"':
            buf, j = [], i + 1
            while True:
                end = text.find('"', j)
                if end < 0:
                    return None  # an unterminated quote
                buf.append(text[j:end])
                if text[end + 1 : end + 2] != '"':
                    break
                buf.append('"')
                j = end + 2
            names.append("".join(buf))
            i = end + 1
        else:
            j = i
            while j < n and text[j] != "," and text[j] not in _SPACE:
                j += 1
            if j == i:
                return None  # an empty unquoted name
            names.append(text[i:j].translate(_FOLD) if fold else text[i:j])
            i = j
        while i < n and text[i] in _SPACE:
            i += 1
        if i == n:
            return names
        if text[i] != ",":
            return None
        i += 1
        while i < n and text[i] in _SPACE:
            i += 1


def setting_key(entry: str) -> str:
    """A function's setting (proconfig's ``name=value``) as two are compared: the name
    lower-cased; a search_path's schemas as PostgreSQL splits the list, each printed as
    ``quote_ident`` prints it (``search_path="other, public"``, one schema, is not
    ``search_path=other, public``: it was, its quotes stripped after a split at every
    comma), an empty name dropped (``""`` = nothing, as an empty list), a spec's unquoted
    name taken as written (``Other`` = ``"Other"``, as a spec's names are); any other
    value's items unquoted and trimmed."""
    name, _, value = entry.partition("=")
    name = name.strip().lower()
    items = [v.strip().strip('"') for v in value.split(",")]
    if name == "search_path":
        # a list PostgreSQL would refuse (``A b, public``: an earlier init's text of
        # ``"A b", public``) is read item by item, as before
        names = split_identifier_list(value, fold=False)
        return (
            f"{name}={', '.join(quote_ident(n) for n in (items if names is None else names) if n)}"
        )
    return f"{name}={', '.join(items)}"


def resolve(text: str, names: Collection[str]) -> str:
    """The stored name a spec name denotes among ``names`` (the text itself when none matches).

    Exact first; a quoted spelling only exactly; an unquoted spelling may be
    PostgreSQL's lower-case folding of it when that is the only match.
    """
    name, quoted = unquote(text)
    if quoted or name in names:
        return name
    folded = name.lower()
    if folded != name and folded in names:
        return folded
    return name


def same(spec_text: str, stored: str, names: Collection[str] = ()) -> bool:
    """True when the spec's name denotes the stored name (``names``: every name it could mean).

    ``resolve(spec_text, {*names, stored}) == stored``, without building that set (the
    audit asks this for every index key of every table).
    """
    name, quoted = unquote(spec_text)
    if quoted or name == stored or name in names:
        return name == stored
    folded = name.lower()
    return folded != name and folded == stored


def spec_spelling(name: str) -> str:
    """How ``init`` writes a stored name so that it reads back as exactly that name."""
    if _BARE.fullmatch(name):
        return name
    return '"' + name.replace('"', '""') + '"'


__all__ = [
    "quote_ident",
    "resolve",
    "same",
    "setting_key",
    "spec_spelling",
    "split_identifier_list",
    "unquote",
]
