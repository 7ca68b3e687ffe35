"""tsvector constants as PostgreSQL prints the stored value.

A tsvector literal is stored in tsvector's normal form: lexemes sorted (bytewise, a prefix
first), each once, its positions merged, sorted and deduplicated (the highest weight kept),
every lexeme quoted: ``DEFAULT 'a b:1 a'`` is stored ``'''a'' ''b'':1'::tsvector``
(confirmed with psql on PostgreSQL 15; PostgREST's fixtures). The history's literal and the
catalog's differed in ``diff`` and the audit. Anything this reading of tsvector's input
syntax does not take (an error PostgreSQL would raise, say) gives None: compared as written.
"""

from __future__ import annotations

_WEIGHTS = {"a": 3, "b": 2, "c": 1, "d": 0}
_LETTER = {3: "A", 2: "B", 1: "C", 0: ""}
_MAX_POS = 16383  # positions above it are stored as it (LIMITPOS)


def canonical_tsvector(text: str) -> str | None:
    """The text PostgreSQL prints for the tsvector ``text`` reads to, or None."""
    entries = _parse(text)
    if entries is None:
        return None
    merged: dict[str, dict[int, int]] = {}
    for lexeme, positions in entries:
        held = merged.setdefault(lexeme, {})
        for pos, weight in positions:
            held[pos] = max(weight, held.get(pos, 0))
    out = []
    for lexeme in sorted(merged, key=lambda w: w.encode("utf-8")):
        quoted = "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"
        positions = sorted(merged[lexeme].items())[:256]
        if positions:
            quoted += ":" + ",".join(f"{p}{_LETTER[w]}" for p, w in positions)
        out.append(quoted)
    return " ".join(out)


def _parse(text: str) -> list[tuple[str, list[tuple[int, int]]]] | None:
    """(lexeme, [(position, weight)]) in the order written; None where the input is not
    plainly tsvector's (an empty lexeme, position 0, a stray character)."""
    entries: list[tuple[str, list[tuple[int, int]]]] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return entries
        word: list[str] = []
        if text[i] == "'":
            i += 1
            while True:
                if i >= n:
                    return None
                c = text[i]
                if c == "\\" and i + 1 < n:
                    word.append(text[i + 1])
                    i += 2
                elif c == "'":
                    if i + 1 < n and text[i + 1] == "'":
                        word.append("'")
                        i += 2
                    else:
                        i += 1
                        break
                else:
                    word.append(c)
                    i += 1
        else:
            while i < n and not text[i].isspace() and text[i] != ":":
                if text[i] == "\\" and i + 1 < n:
                    word.append(text[i + 1])
                    i += 2
                    continue
                if text[i] == "'":
                    return None
                word.append(text[i])
                i += 1
        if not word:
            return None
        positions: list[tuple[int, int]] = []
        if i < n and text[i] == ":":
            i += 1
            while True:
                start = i
                while i < n and text[i].isdigit():
                    i += 1
                if i == start:
                    return None
                pos = min(int(text[start:i]), _MAX_POS)
                if pos == 0:
                    return None
                weight = 0
                if i < n and text[i].lower() in _WEIGHTS:
                    weight = _WEIGHTS[text[i].lower()]
                    i += 1
                positions.append((pos, weight))
                if i < n and text[i] == ",":
                    i += 1
                    continue
                break
            if i < n and not text[i].isspace():
                return None
        elif i < n and not text[i].isspace():
            return None
        entries.append(("".join(word), positions))
