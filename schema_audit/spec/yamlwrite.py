"""The YAML text ``yaml.safe_dump`` writes, for the plain data of ``init``'s spec, without its emitter.

PyYAML's representer, serializer and emitter are pure Python and handle one event at a
time: at 5,000 tables ``init`` spent about 20 of its 23 CPU s in them (issue 19). A spec
entry is dicts, lists, strings, booleans, integers and None, and teams diff the file
``init`` writes, so this writer lays that data out byte for byte as
``yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=W, default_flow_style=F)``
does: block mappings, sequences in a mapping written indentless, a collection of scalars in
flow style when ``F`` is None, and each scalar plain, single- or double-quoted as PyYAML
chooses — with PyYAML's own scalar analysis and resolver (``yes``, ``null``, ``0123``
stay quoted), cached per string since names and types repeat.

What it does not reproduce it refuses (``Unsupported``) and PyYAML writes that piece: a
line PyYAML would fold at the width, a multi-line string written single-quoted, an empty,
multi-line or 128+-character key, a float or any other type, an object met twice (PyYAML
writes an anchor). ``tests/test_yamlwrite.py`` compares the two on every fixture, the
synthetic schema, awkward strings and random data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import yaml
from yaml.resolver import Resolver

_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER = Resolver()  # SafeDumper's: decides which strings would read back as another type
# Printable ASCII without a YAML indicator, not starting with one (nor with "---"/"..."):
# PyYAML's analysis allows plain (block and flow) and single quotes; checked in the tests.
_SIMPLE = re.compile(r"[A-Za-z0-9_(][A-Za-z0-9_(). '=<>+*/-]*(?<! )").fullmatch
_ESCAPES = {
    "\0": "0",
    "\x07": "a",
    "\x08": "b",
    "\x09": "t",
    "\x0a": "n",
    "\x0b": "v",
    "\x0c": "f",
    "\x0d": "r",
    "\x1b": "e",
    '"': '"',
    "\\": "\\",
    "\x85": "N",
    "\xa0": "_",
    "\u2028": "L",
    "\u2029": "P",
}
_SCALAR_TYPES = (str, bool, int, type(None))


class Unsupported(Exception):
    """The data needs something this writer does not reproduce exactly; PyYAML writes it."""


def dump(data: Any, *, width: int, flow_style: bool | None, indent: int = 0) -> str:
    """``safe_dump(data, sort_keys=False, allow_unicode=True, …)``, non-blank lines indented.

    Fast when :func:`fast` applies, PyYAML otherwise: the same text either way.
    """
    try:
        return fast(data, width=width, flow_style=flow_style, indent=indent)
    except Unsupported:
        return reference(data, width=width, flow_style=flow_style, indent=indent)


def reference(data: Any, *, width: int, flow_style: bool | None, indent: int = 0) -> str:
    """PyYAML's text, each non-blank line indented by ``indent`` spaces."""
    text = yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, width=width, default_flow_style=flow_style
    )
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


def fast(data: Any, *, width: int, flow_style: bool | None, indent: int = 0) -> str:
    """The same text as :func:`reference`, or ``Unsupported``."""
    if width <= 4:  # PyYAML then uses 80 (best_width); never asked for here
        raise Unsupported("width")
    writer = _Writer(flow_style, indent, width)
    writer.root(data)
    return "".join(writer.out) + "\n"


_WS = "\0 \t\r\n\x85\u2028\u2029"  # what PyYAML's analysis counts as whitespace around an indicator
_BREAKS = "\n\x85\u2028\u2029"
_FLOW_INDICATOR_INSIDE = re.compile(f"[,?\\[\\]{{}}:]|[{_WS}]#").search  # after the first character
_BLOCK_INDICATOR_INSIDE = re.compile(f":(?:[{_WS}]|\\Z)|[{_WS}]#").search
_SPECIAL = re.compile(
    "[^\n\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010fffe]|\ufeff"
).search
_LINE_BREAK = re.compile(f"[{_BREAKS}]").search
_BREAK_SPACE = re.compile(f"[{_BREAKS}] ").search
_SPACE_BREAK = re.compile(f" [{_BREAKS}]").search


def analyze(value: str) -> tuple[bool, bool, bool, bool]:
    """``Emitter.analyze_scalar`` (``allow_unicode``) of a non-empty string, by regular
    expressions instead of a loop per character: (plain allowed in flow context, plain
    allowed in block context, single quotes allowed, multi-line). Compared with PyYAML's
    on random strings in the tests."""
    first = value[0]
    followed = len(value) == 1 or value[1] in _WS
    flow_ind = block_ind = value.startswith(("---", "...")) or first in "#,[]{}&*!|>'\"%@`"
    if first in "?:":
        flow_ind = True
        block_ind = block_ind or followed
    elif first == "-" and followed:
        flow_ind = block_ind = True
    rest = value[1:]
    if not flow_ind and _FLOW_INDICATOR_INSIDE(rest):
        flow_ind = True
    if not block_ind and _BLOCK_INDICATOR_INSIDE(rest):
        block_ind = True
    # '#' after whitespace: the whitespace may be the first character
    if not block_ind and first in _WS and rest[:1] == "#":
        flow_ind = block_ind = True
    multiline = _LINE_BREAK(value) is not None
    plain = not (first == " " or first in _BREAKS or value[-1] == " " or value[-1] in _BREAKS)
    single = True
    if _BREAK_SPACE(value) or _SPACE_BREAK(value) or _SPECIAL(value):
        plain = single = False
    if multiline:
        plain = False
    return plain and not flow_ind, plain and not block_ind, single, multiline


def _any_of(regexps: list[re.Pattern[str]]) -> Callable[[str], object]:
    """One ``match`` that succeeds where any of ``regexps`` matches (their alternation, each
    pattern as written: PyYAML's are verbose ones, and the others have no space or ``#``
    that verbose mode would read differently); one regex call per string instead of a
    generator over several (76,000 distinct strings at 5,000 tables)."""
    if not regexps:
        return lambda value: None
    if any(r.flags & ~(re.VERBOSE | re.UNICODE) for r in regexps) or any(
        not r.flags & re.VERBOSE and re.search(r"\s|#", r.pattern) for r in regexps
    ):  # pragma: no cover - PyYAML's resolver has no such pattern: match them one by one
        return lambda value: any(r.match(value) for r in regexps)
    return re.compile("\n|".join(f"(?:{r.pattern})" for r in regexps), re.VERBOSE).match


# SafeDumper's resolver, by first character: the patterns a plain scalar starting with it
# could match (``yes``, ``null``, ``0123``, ``2027-02-27``…), wildcard ones after them
_IMPLICIT = {
    first: _any_of(
        [regexp for _, regexp in resolvers + _RESOLVER.yaml_implicit_resolvers.get(None, [])]
    )
    for first, resolvers in _RESOLVER.yaml_implicit_resolvers.items()
    if first is not None
}
_WILDCARD = _any_of([regexp for _, regexp in _RESOLVER.yaml_implicit_resolvers.get(None, [])])


def reads_as_str(value: str) -> bool:
    """Whether PyYAML reads ``value`` back as a string when written plain: its resolver's
    ``resolve(ScalarNode, value, (True, False))`` without the call per pattern (no implicit
    pattern gives the string tag, so any match means another type)."""
    return not _IMPLICIT.get(value[:1], _WILDCARD)(value)


@lru_cache(maxsize=1 << 16)
def forms(value: str) -> tuple[str | None, str | None, bool]:
    """A string as PyYAML writes it in block context, in flow context (None: not
    reproduced here) and whether it can be a simple key, following ``choose_scalar_style``."""
    implicit = reads_as_str(value)
    if _SIMPLE(value):
        if implicit:
            return value, value, len(value) < 128
        single_quoted = "'" + value.replace("'", "''") + "'"
        return single_quoted, single_quoted, len(value) < 128
    if not value:  # PyYAML: plain only in block context, but '' reads back as null
        return "''", "''", False
    flow_plain, block_plain, single, multiline = analyze(value)
    quoted: str | None
    if single:
        quoted = None if multiline else "'" + value.replace("'", "''") + "'"
    else:
        quoted = _double_quoted(value)
    block = value if implicit and block_plain else quoted
    flow = value if implicit and flow_plain else quoted
    return block, flow, len(value) < 128 and not multiline


def _double_quoted(text: str) -> str:
    """``Emitter.write_double_quoted`` with ``allow_unicode``, on one line (no folding)."""
    out = ['"']
    for ch in text:
        if ch in '"\\\x85\u2028\u2029\ufeff' or not (
            "\x20" <= ch <= "\x7e" or "\xa0" <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd"
        ):
            if ch in _ESCAPES:
                out.append("\\" + _ESCAPES[ch])
            elif ch <= "\xff":
                out.append(f"\\x{ord(ch):02X}")
            elif ch <= "\uffff":
                out.append(f"\\u{ord(ch):04X}")
            else:
                out.append(f"\\U{ord(ch):08X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def scalar(value: Any, flow: bool) -> str:
    """A scalar's text in flow or block context (``Unsupported``: not reproduced here)."""
    kind = type(value)
    if kind is str:
        block, in_flow, _ = forms(value)
        text = in_flow if flow else block
        if text is None:
            raise Unsupported("multi-line string")
        return text
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)  # always read back as an int: plain
    if value is None:
        return "null"
    raise Unsupported(kind.__name__)


def key(value: Any, flow: bool) -> str:
    """A mapping key's text (``Unsupported`` where PyYAML writes ``? key``)."""
    if type(value) is not str:
        raise Unsupported("a key that is not a string")
    block, in_flow, simple = forms(value)
    text = in_flow if flow else block
    if not simple or text is None:
        raise Unsupported("a key PyYAML writes as '? key'")
    return text


def block_scalar(value: Any, indent: int, column: int, base: int, width: int) -> str:
    """A scalar after ``key:`` or ``-`` ending at ``column`` in a block collection at
    ``indent``: one space and its text, folded at ``width`` where PyYAML folds it. ``base``
    is the extra indentation of every line (not counted in columns)."""
    text = scalar(value, False)
    if column + 1 + len(text) <= width:  # never reaches a folding point
        return " " + text
    # a scalar's own indentation is one step in (expect_scalar's increase_indent)
    newline = "\n" + " " * (base + indent + 2)
    if text[0] == "'":
        return _fold_single(value, column, width, newline, indent + 2)
    if text[0] == '"':  # a view's query as pg_get_viewdef lays it out, mostly
        return _fold_double(value, column + 2, width, newline, indent + 2)
    return _fold_plain(text, column, width, newline, indent + 2)


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return "\\" + _ESCAPES[ch]
    if ch <= "\xff":
        return f"\\x{ord(ch):02X}"
    if ch <= "\uffff":
        return f"\\u{ord(ch):04X}"
    return f"\\U{ord(ch):08X}"


def _fold_double(text: str, column: int, width: int, newline: str, indent: int) -> str:
    """``Emitter.write_double_quoted`` with folding, step for step: ``column`` is where the
    opening quote ends (after `` "``); a line is split at a space or after an escape once
    it passes ``width``, the break escaped with ``\\`` (and a space it starts with too)."""
    out = [' "']
    start = end = 0
    size = len(text)
    while end <= size:
        ch = text[end] if end < size else None
        if (
            ch is None
            or ch in '"\\\x85\u2028\u2029\ufeff'
            or not (
                "\x20" <= ch <= "\x7e" or "\xa0" <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd"
            )
        ):
            if start < end:
                out.append(text[start:end])
                column += end - start
                start = end
            if ch is not None:
                escaped = _escape(ch)
                out.append(escaped)
                column += len(escaped)
                start = end + 1
        if 0 < end < size - 1 and (ch == " " or start >= end) and column + (end - start) > width:
            out.append(text[start:end] + "\\")
            if start < end:
                start = end
            out.append(newline)
            column = indent
            if text[start] == " ":
                out.append("\\")
                column += 1
        end += 1
    out.append('"')
    return "".join(out)


def flow_sequence(items: Any) -> str:
    """A sequence of scalars in flow style, ``[a, 'b']``: what :class:`_Writer` writes for
    one (``Unsupported`` for an item that is a collection). A list of strings is written
    once per distinct list (``[id]``, ``[tenant_id]``, ``[SELECT]`` repeat thousands of times)."""
    if type(items) is list:
        # the items and their types: [1] and [True] (equal as keys) are written apart
        key = (*items, *map(type, items))
        try:
            text = _FLOW_SEQUENCES.get(key)
        except TypeError:  # an unhashable item (a collection): scalar() refuses it below
            text = None
        if text is None:
            text = "[" + ", ".join([scalar(item, True) for item in items]) + "]"
            if len(_FLOW_SEQUENCES) < 1 << 16:
                _FLOW_SEQUENCES[key] = text
        return text
    return "[" + ", ".join([scalar(item, True) for item in items]) + "]"


_FLOW_SEQUENCES: dict[tuple[Any, ...], str] = {}


_SINGLE_SPACE = re.compile("(?<! ) (?! )").search  # a space with none beside it


def _fold(text: str, column: int, width: int, newline: str, indent: int, inner: bool) -> str:
    """Break ``text`` (as written, from ``column``) where PyYAML's emitter breaks a split
    scalar: at a single space reached past the width (a run of spaces never breaks), the
    line going on at ``indent``; with ``inner``, never at the text's first or last character.
    The column of a character is its line's start column plus its offset in the line, so
    the next break is searched for directly rather than walking every character."""
    out: list[str] = []
    start = 0  # where the current line's text starts
    n = len(text)
    while (found := _SINGLE_SPACE(text, max(start, start + width - column + 1))) is not None:
        at = found.start()
        if inner and at == 0:  # the search started at the text's first character
            found = _SINGLE_SPACE(text, 1)
            if found is None:
                break
            at = found.start()
        if inner and at == n - 1:
            break
        out += (text[start:at], newline)
        start, column = at + 1, indent
    out.append(text[start:])
    return "".join(out)


def _fold_plain(text: str, column: int, width: int, newline: str, indent: int) -> str:
    """``Emitter.write_plain`` (split, one line of text) from ``column``: a single space
    reached past the width becomes a line break to the scalar's indentation."""
    return " " + _fold(text, column + 1, width, newline, indent, False)


def _fold_single(text: str, column: int, width: int, newline: str, indent: int) -> str:
    """``Emitter.write_single_quoted`` (split, text without line breaks) from ``column``:
    as :func:`_fold_plain`, quotes doubled (two columns each), never at a space that starts
    or ends the text."""
    return " '" + _fold(text.replace("'", "''"), column + 2, width, newline, indent, True) + "'"


class _Writer:
    """The layout of PyYAML's emitter (indent 2) for the supported shapes, into ``out``.

    Columns are PyYAML's (before the extra ``base`` indentation): a scalar that would pass
    the width is folded as PyYAML folds it; a flow collection that would is refused.
    """

    def __init__(self, flow_style: bool | None, base: int, width: int) -> None:
        self.flow_style = flow_style
        self.base = base
        self.width = width
        self.out: list[str] = []
        self.seen: set[int] = set()  # collections met: a second visit would be an alias

    def _enter(self, value: Any) -> None:
        if id(value) in self.seen:
            raise Unsupported("an object met twice (PyYAML writes an anchor)")
        self.seen.add(id(value))

    def _flow(self, value: Any, kind: type) -> str | None:
        """The flow text of a collection PyYAML writes in flow style, else None.

        PyYAML's representer picks flow style for a collection of scalars only (or for
        every collection, or for none, when ``default_flow_style`` says so); the emitter
        writes an empty one in flow style whatever the setting.
        """
        style = self.flow_style
        if value and style is False:
            return None
        parts = []
        for item in value.items() if kind is dict else value:
            k, v = item if kind is dict else (None, item)
            tv = type(v)
            if tv is dict or tv is list or tv is tuple:
                if style is None:
                    return None
                raise Unsupported("nested flow collections")
            text = scalar(v, True)
            parts.append(key(k, True) + ": " + text if kind is dict else text)
        if kind is dict:
            return "{" + ", ".join(parts) + "}"
        return "[" + ", ".join(parts) + "]"

    def root(self, data: Any) -> None:
        kind = type(data)
        if not (kind is dict or kind is list or kind is tuple):
            raise Unsupported("a scalar document")
        self._enter(data)
        text = self._flow(data, kind)
        if text is not None:
            if len(text) > self.width:
                raise Unsupported("a flow collection PyYAML may wrap")
            self.out.append(" " * self.base + text)
        elif kind is dict:
            self._mapping(data, 0, " " * self.base)
        else:
            self._sequence(data, 0, " " * self.base)

    def _node(self, value: Any, indent: int, column: int, in_mapping: bool) -> None:
        """A mapping value (after ``key:``) or a sequence item (after ``-``) ending at
        ``column``, in a collection at ``indent``: a scalar, a flow collection, or a block
        collection on the next lines (a sequence in a mapping stays at the key's column)."""
        kind = type(value)
        if kind is dict or kind is list or kind is tuple:
            self._enter(value)
            text = self._flow(value, kind)
            if text is not None:
                if column + 1 + len(text) > self.width:
                    raise Unsupported("a flow collection PyYAML may wrap")
                self.out.append(" " + text)
            elif kind is dict:
                lead = "\n" + " " * (self.base + indent + 2) if in_mapping else " "
                self._mapping(value, indent + 2, lead)
            elif in_mapping:
                self._sequence(value, indent, "\n" + " " * (self.base + indent))
            else:
                self._sequence(value, indent + 2, " ")
            return
        self.out.append(block_scalar(value, indent, column, self.base, self.width))

    def _mapping(self, data: dict, indent: int, first: str) -> None:
        """A block mapping at ``indent``; its first key follows ``first`` (a newline and the
        indentation, or one space after a sequence's dash)."""
        newline = "\n" + " " * (self.base + indent)
        out = self.out
        lead = first
        for k, v in data.items():
            text = key(k, False)
            out.append(lead + text + ":")
            lead = newline
            self._node(v, indent, indent + len(text) + 1, True)

    def _sequence(self, data: list | tuple, indent: int, first: str) -> None:
        """A block sequence at ``indent``; its first dash follows ``first``."""
        newline = "\n" + " " * (self.base + indent)
        out = self.out
        lead = first
        for item in data:
            out.append(lead + "-")
            lead = newline
            self._node(item, indent, indent + 1, False)
