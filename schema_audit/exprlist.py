"""A comma-separated list of SQL expressions split into its items, as ``pg_get_expr`` prints
a function's ``proargdefaults`` (``5, 'a, b'::text, ARRAY[1, 2]``): commas inside quotes,
double-quoted names, parentheses and brackets belong to their item. No parser: the live
read imports none."""

from __future__ import annotations

_OPEN = {"(": ")", "[": "]"}


def split_expressions(text: str) -> list[str]:
    """The top-level items of ``text``, each stripped."""
    items: list[str] = []
    depth = 0
    quote = ""
    start = 0
    for i, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""  # a doubled quote closes and reopens: the same item either way
        elif char in ("'", '"'):
            quote = char
        elif char in _OPEN:
            depth += 1
        elif char in (")", "]"):
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    items.append(text[start:].strip())
    return [item for item in items if item]
