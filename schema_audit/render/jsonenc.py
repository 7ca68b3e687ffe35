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

Large documents are written in pieces (:func:`chunks`): the top levels are laid out here
and their members encoded a batch at a time, so a 170 MB report never exists as one text
(issue 19: the JSON report was held in about five copies while written).

tests/test_jsonenc.py compares the bytes with the ``json.dumps`` path kept here as
:func:`reference`.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any

import msgspec

_SORTED = msgspec.json.Encoder(order="sorted")
_AS_IS = msgspec.json.Encoder()


def dumps(document: Any, *, indent: int | None = None, sort_keys: bool = False) -> str:
    """``json.dumps(document, indent=indent, ensure_ascii=False, sort_keys=sort_keys)``,
    with dataclass instances written as ``model.to_data`` writes them (every field, in
    order), without the trailing newline."""
    return b"".join(chunks(document, indent=indent, sort_keys=sort_keys)).decode("utf-8")


# A container this close to the top is laid out here, member by member; deeper values are
# encoded whole. Members of a long container are encoded BATCH at a time: one table of the
# model or one finding is too little work per msgspec call, 256 of them are ~3 MB.
SPLIT_DEPTH = 4
BATCH = 256
# Fewer batches than this are encoded here: a fork and the hand-over cost a few milliseconds,
# unless they make at least AHEAD_MIN_BYTES (the first piece tells): the child then takes
# the later half as well. At 1,000 tables a static model (36 MB: each column repeats its
# CREATE TABLE in its provenance) is over it, a live one (≈ 12 MB) is not.
AHEAD_MIN_BATCHES = 8
AHEAD_MIN_BYTES = 16 << 20
# What this process encodes of a long container goes in pieces of about this much text (at
# most BATCH members; the first FIRST_PIECE, then sized by the bytes a member made so far):
# 256 static tables are ~9 MB, and a piece's encoding, its layout and the slice cut from it
# held ~40 MB of fresh pages the kernel zeroed and faulted in (10,000 faults, ≈ 0.02 s of a
# 0.12 s JSON); pieces of ~1 MB reuse the same few MB, which stay in the CPU's cache.
PIECE_BYTES = 1 << 20
FIRST_PIECE = 32


def chunks(
    document: Any, *, indent: int | None = None, sort_keys: bool = False, ahead: bool = False
) -> Iterator[bytes]:
    """The UTF-8 bytes of :func:`dumps` in pieces whose concatenation is exactly those bytes.

    Why this is exact: ``json.dumps`` lays out a member nested at depth ``d`` as the member's
    own text with ``d`` indents added after each newline, and raw newlines occur only in the
    layout (a newline inside a string is written ``\\n``). So each member is encoded alone,
    by msgspec or, where msgspec would differ (:func:`_exact`), by :func:`reference`, and
    re-indented; separators and brackets are written here as ``json.dumps`` writes them.
    A :class:`Mapped` array (within ``SPLIT_DEPTH`` of the top) is converted as it is written.

    ``ahead``: the later half of the batches of the first container of at least
    ``AHEAD_MIN_BATCHES`` batches (inspect's tables) is encoded by a forked child
    (``forkjob``) while this process encodes and writes the first half: the same batches,
    in the same order; encoded here where no child may be forked or it gives none.
    """
    yield from _Layout(indent, sort_keys, ahead).value(document, 0)


class Mapped:
    """A JSON array of ``convert(item)`` for each item, converted one batch at a time while
    :func:`chunks` writes it: a report's 165,000 finding dicts never exist all at once."""

    __slots__ = ("items", "convert")

    def __init__(self, items: Sequence[Any], convert: Callable[[Any], Any]) -> None:
        self.items = items
        self.convert = convert

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, part: slice) -> list[Any]:
        return [self.convert(item) for item in self.items[part]]

    def __iter__(self) -> Iterator[Any]:
        return map(self.convert, self.items)


class _Layout:
    """One document's layout settings; ``value`` yields a value's bytes at a nesting depth."""

    def __init__(self, indent: int | None, sort_keys: bool, ahead: bool = False) -> None:
        # json.dumps writes indent 0 (or less) as newlines without indentation
        self.indent = None if indent is None else max(indent, 0)
        self.sort_keys = sort_keys
        self.encoder = _SORTED if sort_keys else _AS_IS
        self.ahead = ahead  # one child a document, for its first long container

    def pad(self, depth: int) -> bytes:
        """The newline and indentation before a line at ``depth`` (nothing when compact)."""
        return b"" if self.indent is None else b"\n" + b" " * (self.indent * depth)

    def value(self, value: Any, depth: int) -> Iterator[bytes]:
        members = self._members(value) if depth < SPLIT_DEPTH else None
        if members is None:
            yield self._whole(value, depth)
            return
        is_object, items = members
        # compact: a short container at the last split level as one piece (as a batch is),
        # not a piece per member (1,000-table static model: 3,341 msgspec calls, then 395)
        last = depth == SPLIT_DEPTH - 1 and self.indent is None and len(items) <= BATCH
        if last and type(value) is not Mapped:
            yield self._whole(value, depth)
            return
        if not items:
            yield b"{}" if is_object else b"[]"
            return
        inner = self.pad(depth + 1)
        separator = b", " if self.indent is None else b"," + inner
        yield (b"{" if is_object else b"[") + inner
        if len(items) > BATCH:
            for position, batch in enumerate(self._batches(items, is_object, depth)):
                if position:
                    yield separator
                yield batch
        else:
            for position, item in enumerate(items):
                if position:
                    yield separator
                if is_object:
                    key, item = item
                    yield _AS_IS.encode(key) + b": "
                yield from self.value(item, depth + 1)
        yield self.pad(depth) + (b"}" if is_object else b"]")

    def _batches(self, items: Sequence[Any], is_object: bool, depth: int) -> Iterator[bytes]:
        """Each batch's text in order; the later half from a forked child when ``ahead``."""
        starts = range(0, len(items), BATCH)

        def each(start: int) -> bytes:
            return self._batch(items[start : start + BATCH], is_object, depth)

        job = None
        done, first = 0, b""  # members encoded here before deciding, and their text
        if self.ahead and 2 <= len(starts) < AHEAD_MIN_BATCHES:
            # few but large members (a static model's tables: ~36 KB each with the SQL of
            # their provenance, 36 MB at 1,000 tables): the first piece, this process's
            # anyway, tells whether the container is long enough to pay for a child
            done = min(FIRST_PIECE, BATCH)
            first = self._batch(items[:done], is_object, depth)
            if len(first) * len(items) // done < AHEAD_MIN_BYTES:
                self.ahead = False
        middle = len(starts) // 2
        if self.ahead and len(starts) >= 2:
            from schema_audit import forkjob

            self.ahead = False
            # made whole before the first is sent: the pipe holds less than one, and a child
            # blocked on it until this process wants them would have stopped encoding
            job = forkjob.start_pieces(lambda: [each(start) for start in starts[middle:]])
        if job is None:
            if done:
                yield first
            yield from self._pieces(items, done, len(items), is_object, depth, len(first))
            return
        try:  # (from the first piece on: a writer that stops at it ends the child too)
            if done:
                yield first
            yield from self._pieces(items, done, starts[middle], is_object, depth, len(first))
            got = 0
            for piece in job.pieces():
                got += 1
                yield piece
            # the child's pieces fell short (it failed, died or was killed): the rest here
            yield from map(each, starts[middle + got :])
        finally:
            job.end()

    def _pieces(
        self,
        items: Sequence[Any],
        start: int,
        stop: int,
        is_object: bool,
        depth: int,
        before: int = 0,
    ) -> Iterator[bytes]:
        """Members ``start`` … ``stop - 1`` encoded here, in pieces of about ``PIECE_BYTES``:
        the same text as batches of ``BATCH`` (a piece is a batch, only its length differs).
        ``before``: the bytes the ``start`` members before made (the first piece is then
        sized by them)."""
        count = min(FIRST_PIECE, BATCH)
        if start and before:
            count = min(BATCH, max(1, PIECE_BYTES * start // before))
        while start < stop:
            end = min(start + count, stop)
            text = self._batch(items[start:end], is_object, depth)
            yield text
            count = min(BATCH, max(1, PIECE_BYTES * (end - start) // max(len(text), 1)))
            start = end

    def _members(self, value: Any) -> tuple[bool, Sequence[Any]] | None:
        """(is an object, its members) for a container laid out here, else None."""
        kind = type(value)
        if kind is dict:
            if not all(type(k) is str for k in value):
                return None  # json.dumps converts or refuses such keys: it writes the whole
            items = list(value.items())
        elif kind is list or kind is tuple or kind is Mapped:
            return False, value
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            items = [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]
        else:
            return None
        if self.sort_keys:
            items.sort(key=itemgetter(0))
        return True, items

    def _whole(self, value: Any, depth: int) -> bytes:
        """One value's text at ``depth``: msgspec where it is exact, else ``json.dumps``."""
        text = None
        value = _listed(value)
        if self.indent != 0 and _exact(value):  # msgspec has no indent 0
            try:
                # format(indent=0): one line with ", " and ": ", as json.dumps without indent
                text = msgspec.json.format(self.encoder.encode(value), indent=self.indent or 0)
            except (TypeError, ValueError, OverflowError, msgspec.EncodeError):
                text = None
        if text is None:
            text = reference(value, indent=self.indent, sort_keys=self.sort_keys).encode("utf-8")
        if self.indent and depth:
            text = text.replace(b"\n", self.pad(depth))
        return text

    def _batch(self, items: Sequence[Any], is_object: bool, depth: int) -> bytes:
        """Consecutive members of a container at ``depth``, separated as inside it: encoded
        as one container of their own, brackets and the first indent cut off."""
        if is_object:
            text = self._whole({key: _listed(value) for key, value in items}, 0)
        else:
            text = self._whole([_listed(value) for value in items], 0)
        if self.indent is None:
            return text[1:-1]
        body = text[2 + self.indent : -2]  # "[\n" + first indent ... "\n]"
        return body.replace(b"\n", self.pad(depth)) if self.indent and depth else body


def _listed(value: Any) -> Any:
    """A :class:`Mapped` encoded whole (in a batch, or deeper than ``SPLIT_DEPTH``): a list."""
    return list(value) if type(value) is Mapped else value


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


def decide_exact(cls: type) -> None:
    """Make :func:`_exact`'s verdict for the dataclass ``cls`` and every class its fields
    name ahead of the first value that needs it (they are kept for the process's life)."""
    _may_hold_inexact(cls)


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
