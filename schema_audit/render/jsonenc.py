"""JSON text byte for byte as ``json.dumps(..., ensure_ascii=False)`` writes it, encoded in C.

``inspect`` of 5,000 tables spent most of its Python time turning the model into dicts
(``to_data``, millions of calls) and the JSON reports ran through ``json``'s pure-Python
indenting encoder. msgspec encodes dataclasses, dicts and lists in C and its ``format``
lays the compact text out with exactly ``json.dumps``'s separators and indentation
(benchmarks/README.md says why msgspec and not orjson). The contract is unchanged bytes:

- msgspec writes a float in exponent form as ``1e16`` where Python writes ``1e+16``, and
  NaN/Infinity as ``null``: a document that may hold a float goes through ``json.dumps``
  itself. Dataclasses whose annotations hold no float anywhere (the schema model) are
  trusted without walking them; everything else is walked once (a dict walk, no copies).
- ``indent=0`` (newlines, no indentation) has no msgspec counterpart: ``json.dumps``.
- anything else msgspec would write differently (a ``str`` subclass, a non-string key,
  an unknown object) also goes through ``json.dumps``, which raises where it always did.

tests/test_jsonenc.py compares the bytes with the ``json.dumps`` path kept here as
:func:`reference`.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from typing import Any

import msgspec

_SORTED = msgspec.json.Encoder(order="sorted")
_AS_IS = msgspec.json.Encoder()


def dumps(document: Any, *, indent: int | None = None, sort_keys: bool = False) -> str:
    """``json.dumps(document, indent=indent, ensure_ascii=False, sort_keys=sort_keys)``,
    with dataclass instances written as ``model.to_data`` writes them (every field, in
    order), without the trailing newline."""
    if (indent is not None and indent <= 0) or not _exact(document):
        return reference(document, indent=indent, sort_keys=sort_keys)
    encoder = _SORTED if sort_keys else _AS_IS
    try:
        # format(indent=0): one line with ", " and ": ", as json.dumps without indent; the
        # compact bytes are freed before decoding (at 5,000 tables each copy is ~170 MB)
        laid_out = msgspec.json.format(encoder.encode(document), indent=indent or 0)
    except (TypeError, ValueError, OverflowError, msgspec.EncodeError):
        return reference(document, indent=indent, sort_keys=sort_keys)
    return laid_out.decode("utf-8")


def reference(document: Any, *, indent: int | None = None, sort_keys: bool = False) -> str:
    """The path every JSON output took before: plain data, then the standard library."""
    from schema_audit.model import to_data

    return json.dumps(to_data(document), indent=indent, ensure_ascii=False, sort_keys=sort_keys)


def _exact(value: Any) -> bool:
    """Whether msgspec writes ``value`` exactly as ``json.dumps`` does (see the module doc)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is dict:
        return all(type(k) is str for k in value) and all(map(_exact, value.values()))
    if kind is list or kind is tuple:
        return all(map(_exact, value))
    if isinstance(value, enum.Enum):
        return isinstance(value, str | int) and not isinstance(value, float)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if not _may_hold_inexact(kind):
            return True
        return all(_exact(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False  # float, str/int subclasses, unknown objects: json.dumps decides


def _may_hold_inexact(cls: type) -> bool:
    """Whether a dataclass's annotations allow, anywhere below it, a value msgspec would
    write differently (a float, ``Any``, an unknown class). A type that refers back to
    itself counts as inexact (its instances are then walked: slower, never wrong)."""
    known = _INEXACT.get(cls)
    if known is not None:
        return known
    _in_progress.add(cls)
    try:
        hints = typing.get_type_hints(cls)
        verdict = any(_annotation_inexact(hints[f.name]) for f in dataclasses.fields(cls))
    except Exception:  # an annotation that cannot be resolved: assume the worst
        verdict = True
    finally:
        _in_progress.discard(cls)
    _INEXACT[cls] = verdict
    return verdict


_INEXACT: dict[type, bool] = {}
_in_progress: set[type] = set()
_EXACT_LEAVES = (str, int, bool, type(None))


def _annotation_inexact(hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return not all(type(a) in _EXACT_LEAVES for a in typing.get_args(hint))
    if origin in (typing.Union, types.UnionType, list, tuple, dict):
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        if origin is dict and args and args[0] is not str:
            return True
        return any(_annotation_inexact(a) for a in args)
    if hint in _EXACT_LEAVES:
        return False
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return not issubclass(hint, str | int) or issubclass(hint, float)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return hint in _in_progress or _may_hold_inexact(hint)
    return True
