"""PostgreSQL's rules for the names it chooses itself (constraints and indexes without a name).

The static model must name an unnamed ``UNIQUE`` or ``CREATE INDEX ON t (a)``
exactly as the server would (``t_a_key``, ``t_a_idx``, ``t_a_idx1``), or a
spec written against a live database would not match the migrations. These
mirror ``makeObjectName``/``ChooseRelationName`` in the server: byte-length
truncation to NAMEDATALEN-1 (63), shared fairly between the two name parts,
and a numeric suffix on the label when the name is taken.
"""

from __future__ import annotations

from collections.abc import Callable

NAMEDATALEN = 64


def _clip(text: str, limit: int) -> str:
    """Cut to at most ``limit`` UTF-8 bytes without splitting a character."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


def make_object_name(name1: str, name2: str | None, label: str | None) -> str:
    b1 = len(name1.encode("utf-8"))
    b2 = len(name2.encode("utf-8")) if name2 else 0
    overhead = (len(label) + 1 if label else 0) + (1 if name2 else 0)
    available = NAMEDATALEN - 1 - overhead
    while b1 + b2 > available:
        if b1 > b2:
            b1 -= 1
        else:
            b2 -= 1
    name = _clip(name1, b1)
    if name2:
        name += "_" + _clip(name2, b2)
    if label:
        name += "_" + label
    return name


def choose_name(name1: str, name2: str | None, label: str, taken: Callable[[str], bool]) -> str:
    """The first free name of ``name1_name2_label``, ``…_label1``, ``…_label2`` …"""
    name = make_object_name(name1, name2, label)
    counter = 0
    while taken(name):
        counter += 1
        name = make_object_name(name1, name2, f"{label}{counter}")
    return name
