"""A jsonb literal as PostgreSQL prints the value it stores.

jsonb keeps no whitespace, no key order and no duplicate key: `'{"x":0,"w":4}'::jsonb` is printed
`{"w": 4, "x": 0}` (keys by length, then bytewise; the last of duplicate keys wins; `", "` and
`": "` between items; numbers as numeric prints them). A migration writes the literal as it
likes, the catalog holds the value, so the two are compared in this one form.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def canonical_jsonb(text: str) -> str | None:
    """``text`` as jsonb prints it, or None when it is not a JSON text jsonb would take the same
    way (invalid, NaN, a lone surrogate): the caller keeps the literal as written."""
    try:
        value = json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_refuse)
        return _dump(value)
    except (ValueError, InvalidOperation, UnicodeEncodeError, RecursionError):
        return None


def _refuse(name: str) -> Any:
    raise ValueError(name)


def _dump(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_dump(v) for v in value) + "]"
    keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
    return "{" + ", ".join(f"{_string(k)}: {_dump(value[k])}" for k in keys) + "}"


def _number(value: Decimal) -> str:
    """As numeric prints it: the scale the literal shows (`1.50`), exponents folded (`1e2` is 100)."""
    if not value.is_finite():
        raise ValueError(str(value))
    if value == 0:
        value = abs(value)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return f"{value:.{max(0, -exponent)}f}"


def _string(text: str) -> str:
    text.encode("utf-8")  # a lone surrogate: jsonb refuses it
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
