"""A bytea constant in one form whatever its spelling: the bytes, printed in hex.

PostgreSQL keeps a bytea literal as its bytes and prints it back through ``bytea_output``
(``hex`` by default): ``DEFAULT ''`` is stored and printed ``'\\x'::bytea``, ``'abc'`` as
``'\\x616263'::bytea``, ``'\\xDEAD'`` as ``'\\xdead'::bytea`` (temporalio/temporal's
``cluster_metadata.data BYTEA NOT NULL DEFAULT ''``). A migration writes either input format
(hex ``\\x…``, or the escape format: characters as their UTF-8 bytes, ``\\\\`` a backslash,
``\\ooo`` an octal byte), so both sides are compared as the bytes in hex. A text byteain
would reject is not put in this form (None): the two texts then stay apart.
"""

from __future__ import annotations

import re

_HEX_PAIRS = re.compile(r"(?:\s*[0-9A-Fa-f]{2})*\s*")
_OCTAL = re.compile(r"[0-3][0-7]{2}")


def canonical_bytea(text: str) -> str | None:
    """``text`` read as byteain reads it, printed as bytea's hex output; None if invalid."""
    if text.startswith("\\x"):
        body = text[2:]
        if _HEX_PAIRS.fullmatch(body) is None:
            return None
        return "\\x" + "".join(body.split()).lower()
    out = bytearray()
    at = 0
    while at < len(text):
        ch = text[at]
        if ch != "\\":
            out += ch.encode("utf-8")
            at += 1
        elif text[at + 1 : at + 2] == "\\":
            out.append(0x5C)
            at += 2
        elif _OCTAL.fullmatch(text[at + 1 : at + 4]):
            out.append(int(text[at + 1 : at + 4], 8))
            at += 4
        else:
            return None  # byteain: invalid input syntax for type bytea
    return "\\x" + out.hex()
