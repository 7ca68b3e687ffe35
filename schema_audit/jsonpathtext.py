"""A jsonpath constant in one form whatever its spelling, as far as PostgreSQL's printing goes.

PostgreSQL keeps a jsonpath as its parsed form and prints it back its own way
(``jsonpath_out``): `'$.* ? (@.type() <> "string")'` is stored and printed
`'$.*?(@.type() != "string")'::jsonpath`, `$.a` as `$."a"`, `lax $.a` as `$."a"`, `$x` as
`$"x"`. A migration writes it as it likes (CKAN's CHECKs), so both are compared in this one
form: the tokens without the whitespace between them (one space between two words), keys and
variables quoted, `<>` as `!=`, the default `lax` mode dropped.

Only those spellings are equated. A path whose printing PostgreSQL changes more (arithmetic,
which it parenthesises; a number it re-prints, `1e2` as `100`; a string with an escape) is
not put in this form (None): the two texts then stay apart, never made equal by mistake.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r'\s+|"(?:[^"\\]|\\.)*"|\$[A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*'
    r"|[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|\*\*|==|!=|<>|<=|>=|&&|\|\||[$@.?()\[\]{},<>!*]"
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+(?:\.[0-9]+)?")


def canonical_jsonpath(text: str) -> str | None:
    """``text``'s tokens in one spelling (see the module's docstring); None where its
    printing is not followed here."""
    tokens: list[str] = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            return None  # arithmetic, a negative number, an exponent …: not followed
        at = match.end()
        token = match.group()
        if token.isspace():
            continue
        if token.startswith('"') and "\\" in token:
            return None  # an escape PostgreSQL may print otherwise
        if token == "*" and (not tokens or tokens[-1] not in (".", "[")):
            return None  # multiplication (PostgreSQL adds parentheses around it)
        if token[0].isdigit() and re.fullmatch(r"[0-9.]+[eE].*|0[0-9]+.*", token):
            return None  # a number PostgreSQL re-prints (`1e2` as `100`)
        tokens.append(token)
    out: list[str] = []
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token == "lax" and not out:
            continue  # the default mode, not printed
        if token == "<>":
            token = "!="
        elif token.startswith("$") and len(token) > 1:
            token = f'$"{token[1:]}"'  # a variable
        elif out and out[-1] == "." and _WORD.fullmatch(token) and following != "(":
            token = f'"{token}"'  # a key (not a method: `.type()`)
        if out and _WORD.fullmatch(out[-1]) and _WORD.fullmatch(token):
            out.append(" ")
        out.append(token)
    return "".join(out)
