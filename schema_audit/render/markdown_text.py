"""Markdown escaping, so names, comments and messages from a database never break a report.

Object names and comments are data from somebody else's database: a ``|`` in a
comment must not split a table cell, a ``<script>`` must stay text, and a
backtick in a name must not end a code span early.
"""

from __future__ import annotations

import re

# Characters that change meaning anywhere in a line. Emphasis markers (* and _) only at a word
# boundary: snake_case identifiers stay readable, "_x_" cannot turn into emphasis.
_SPECIAL = re.compile(r"([\\`\[\]<>|~]|(?<![A-Za-z0-9])[*_]|[*_](?![A-Za-z0-9]))")
_LINE_START = re.compile(r"^(\s*)(?:([#+>-])|(\d+)\.)")


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() or ch == "\n" else "\ufffd" for ch in text)


def md_text(value: object) -> str:
    """Escape Markdown and HTML specials in running text."""
    text = _printable(str(value)).replace("\n", " ")
    text = re.sub(r"&(?=#?\w+;)", "&amp;", text)  # only what would read as an HTML entity
    text = _SPECIAL.sub(r"\\\1", text)
    return _LINE_START.sub(
        lambda m: m.group(1) + (f"\\{m.group(2)}" if m.group(2) else f"{m.group(3)}\\."), text
    )


def md_cell(value: object) -> str:
    """Text safe inside a table cell: no pipes, no newlines, no raw HTML."""
    return md_text(value)


def md_code(value: object) -> str:
    """An inline code span that survives backticks in the value."""
    text = _printable(str(value)).replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_block(value: object, lang: str = "sql") -> str:
    """A fenced code block whose fence is longer than any backtick run inside."""
    text = _printable(str(value)).rstrip()
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text}\n{fence}"
