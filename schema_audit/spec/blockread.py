"""A plain spec read line by line, without libyaml's events: the block YAML ``init`` writes.

``spec.plainload`` reads a plain spec from libyaml's events; at 5,000 tables (365,000
lines, a million positions) those events alone were about 2 CPU s (libyaml's scanner
plus a PyYAML event and two mark objects per scalar) and the Python loop over them
another 2. A spec is nearly always one shape: block mappings and sequences (``init``
writes sequences in a mapping without indentation), one key per line, scalars plain,
single- or double-quoted, collections of scalars in flow style on one line, comments,
and long strings folded onto indented lines. This module reads exactly that shape
with string methods over whole lines, remembering each distinct flow collection's
reading (a spec repeats ``{type: bigint, nullable: false}`` thousands of times).

It gives what ``plainload.load_plain`` gives (same data, types, key order, and every
key's and item's position, in ``Located``'s compact integer form) or ``None`` when the
text holds anything outside that shape or anything doubtful: tabs, CR, BOM, control
characters, anchors, aliases, tags, block scalars (``|``, ``>``), directives and
document markers, complex or multi-line keys, nested flow collections, a line not
where the indentation says it should be, duplicate keys, ``vars:``/``extends:``,
``${``, a timestamp that is no date, the spec limits. The caller then reads the whole
file the previous way, which words every error. Scalars resolve through PyYAML's own
resolver and constructor (YAML 1.1: ``yes``/``off``, ``0x1F``, ``1_000``, ``~``,
dates…), once per distinct text. ``tests/test_spec_blockread.py`` compares the two
readers on every spec in the repository, init's specs and generated documents.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml

from schema_audit.spec.yamlpos import _COLUMN, LITERAL_KEYS, Located, Path_, pack_mark

_STR, _NULL, _BOOL = "tag:yaml.org,2002:str", "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool"
# what a plain scalar may resolve to and still be read here (as plainload does)
_CONSTRUCTED = (
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
)
_TRUE = ("yes", "true", "on", "y")
_KEY_TAGS = (_STR, _NULL, _BOOL, "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")

# anything but printable text and \n: tabs, CR, NEL/LS/PS (YAML 1.1 line breaks), BOM, controls
# (compiled when a text is not ASCII: the class spans all of Unicode, and compiling it was
# 7-8 ms of every process that imports this module, for the specs init writes in ASCII)
_OUTSIDE_TEXT = (
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
# printable ASCII and \n, deleted by bytes.translate to see what is left (in C, a byte at a
# time; str.isprintable() asked Unicode's tables for each of the text's characters: a twentieth
# of reading init's spec)
_ASCII_TEXT = bytes([0x0A, *range(0x20, 0x7F)])
# a line `key:` or `- key:` with a key of letters, digits and '_', and what follows it
_COMMON_LINE = re.compile(r"( *)(?:-( +))?([A-Za-z_][A-Za-z0-9_]*):(?:( +)(.*))?").fullmatch
# a plain key ends at the first ':' followed by a space or the line's end
_KEY_END = re.compile(r":(?= |$)").search
# first characters a plain scalar may not start with here (YAML indicators, and '-', '?',
# ':' whose meaning depends on the next character: read by the previous way)
_NOT_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@`")
# a plain scalar with nothing for value() to look at (no quote, comment, ': ', indicator,
# flow collection or space) that starts with a letter
_SIMPLE_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.()/-]*").fullmatch
_FLOW_STOP = re.compile(r"[,\[\]{}#:?]").search  # ends (or makes doubtful) a plain scalar in flow
# every implicit resolver's pattern in one: a text none of them matches is a string without
# asking the resolver (which tries them one by one); anything else is resolved by PyYAML
_MAY_RESOLVE = re.compile(
    "|".join(
        sorted(
            {
                f"(?:{regexp.pattern})"
                for resolvers in yaml.SafeLoader.yaml_implicit_resolvers.values()
                for _, regexp in resolvers
            }
        )
    ),
    re.X,
).match
# the first characters any implicit resolver is registered for: a plain scalar starting with
# another is a string (a resolver for any first character, None, is counted as every one)
_RESOLVE_STARTS = (
    frozenset(map(chr, range(0x110000)))
    if None in yaml.SafeLoader.yaml_implicit_resolvers
    else frozenset(k for k in yaml.SafeLoader.yaml_implicit_resolvers if k)
)
_UNREAD = object()  # no value remembered for a text yet (None is one: ~, null)
_DQ_ESCAPES = {
    "0": "\0",
    "a": "\x07",
    "b": "\x08",
    "t": "\x09",
    "\t": "\x09",
    "n": "\x0a",
    "v": "\x0b",
    "f": "\x0c",
    "r": "\x0d",
    "e": "\x1b",
    " ": " ",
    '"': '"',
    "/": "/",
    "\\": "\\",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}
_DQ_HEX = {"x": 2, "u": 4, "U": 8}


# what a line is (see _Reader.line); blank and comment lines sort first
_BLANK, _COMMENT, _PENDING, _SCALAR, _PLAIN, _FLOW, _OPEN_QUOTE, _BAD = range(8)
_BLANK_LINE = (0, -1, None, -1, _BLANK, None, 0)


class _Outside(Exception):
    """The text uses something this reader leaves to the previous one."""


def read_block(text: str, file: str, max_nodes: int, max_depth: int) -> Located | None:
    """The document as ``plainload.load_plain`` gives it, or ``None`` (see the module docstring)."""
    if "${" in text:
        return None
    if text.isascii():  # ASCII is outside exactly when it holds a control character but \n
        if text.encode("ascii").translate(None, _ASCII_TEXT):
            return None
    elif re.search(_OUTSIDE_TEXT, text):  # compiled once, by re's own cache
        return None
    try:
        return _Reader(file, max_nodes, max_depth).read(text.split("\n"))
    except (
        _Outside,
        ValueError,
        TypeError,
        OverflowError,
        IndexError,
        RecursionError,
        yaml.YAMLError,
    ):
        return None


class _Reader:
    def __init__(self, file: str, max_nodes: int, max_depth: int) -> None:
        self.file = file
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.loader = yaml.SafeLoader("")
        self.plain: dict[str, Any] = {}  # plain scalar text -> its value
        self.keys: dict[str, str] = {}  # plain key text -> the key
        self.flows: dict[str, tuple[Any, ...]] = {}  # flow text -> its reading
        self.strings: dict[str, str] = {}
        self.parsed: dict[str, tuple[Any, ...]] = {}  # line text -> self.line(text)

    # -- scalars ---------------------------------------------------------------

    def plain_value(self, text: str) -> Any:
        """A plain scalar's value as PyYAML's safe loader makes it (dates as ISO text)."""
        value = self.plain.get(text, _UNREAD)  # most texts are new: no KeyError raised
        if value is not _UNREAD:
            return value
        if _doubtful_start(text):
            raise _Outside
        if text[0] not in _RESOLVE_STARTS or _MAY_RESOLVE(text) is None:
            text = self.strings.setdefault(text, text)
            self.plain[text] = text
            return text
        tag = self.loader.resolve(yaml.ScalarNode, text, (True, False))
        if tag == _STR:
            value = text
        elif tag == _NULL:
            value = None
        elif tag == _BOOL:
            value = text.lower() in _TRUE
        elif tag in _CONSTRUCTED:
            node = yaml.ScalarNode(tag, text)
            value = self.loader.construct_object(node, deep=True)
            if isinstance(value, dt.datetime | dt.date):
                value = value.isoformat()
        else:
            raise _Outside  # a merge key, '=' …
        self.plain[text] = value
        return value

    def key_of(self, text: str, quoted: bool) -> str:
        """A mapping key: str() of what the key resolves to, as the previous readers give it."""
        if quoted:
            return self.strings.setdefault(text, text)
        key = self.keys.get(text)
        if key is not None:
            return key
        if _doubtful_start(text):
            raise _Outside
        if _MAY_RESOLVE(text) is not None:
            tag = self.loader.resolve(yaml.ScalarNode, text, (True, False))
            if tag not in _KEY_TAGS:
                raise _Outside  # a merge key (<<), a date
        value = self.plain_value(text)
        key = value if isinstance(value, str) else str(value)
        self.keys[text] = key
        return key

    # -- one line's pieces -------------------------------------------------------

    def split_key(self, line: str, at: int) -> tuple[str, int] | None:
        """``(key, where its value starts)`` when ``line[at:]`` is ``key: …``, else None."""
        first = line[at]
        if first == "[" or first == "{":
            return None  # a flow collection (one as a key is left to the previous way)
        if first == "'" or first == '"':
            text, end = _single_line(line, at) if first == "'" else _double_line(line, at)
            if end < 0:
                return None
            rest = end
            while rest < len(line) and line[rest] == " ":
                rest += 1
            if (
                rest < len(line)
                and line[rest] == ":"
                and (rest + 1 == len(line) or line[rest + 1] == " ")
            ):
                if "${" in text:
                    raise _Outside
                return self.key_of(text, True), rest + 1
            return None
        found = _KEY_END(line, at)
        if found is None:
            return None
        colon = found.start()
        hash_at = line.find(" #", at, colon)
        if hash_at >= 0:
            return None  # a comment before any ':': a plain scalar, not a key
        text = line[at:colon].rstrip(" ")
        if not text or len(text) > 1000:
            raise _Outside
        return self.key_of(text, False), colon + 1

    def flow(self, text: str) -> tuple[Any, ...]:
        """A flow collection written on one line (``text`` runs to the line's end):
        ``(tree, nodes, levels)``, see :meth:`flow_tree`, remembered per text."""
        reading = self.flows.get(text)
        if reading is not None:
            return reading
        tree, end, nodes, levels = self.flow_tree(text, 0)
        if not _only_comment(text, end):
            raise _Outside
        reading = (tree, nodes, levels)
        self.flows[text] = reading
        return reading

    def flow_tree(self, text: str, pos: int) -> tuple[Any, int, int, int]:
        """The flow collection opening at ``pos``: ``((is_map, entries), end, nodes, levels)``,
        each entry ``(key or None, column, scalar value, sub-collection or None)``."""
        is_map = text[pos] == "{"
        close = "}" if is_map else "]"
        entries: list[tuple[Any, int, Any, Any]] = []
        nodes = 1
        levels = 1
        keys: set[str] = set()
        pos = _skip(text, pos + 1)
        if text[pos] == close:
            return (is_map, entries, None), pos + 1, nodes, levels
        while True:
            col = pos
            key: str | None = None
            if is_map:
                if text[pos] in "[{":
                    raise _Outside  # a collection as a key
                written, pos, quoted = self.flow_scalar(text, pos, ":")
                if text[pos : pos + 2] != ": ":
                    raise _Outside
                key = self.key_of(written, quoted)
                if key in keys:
                    raise _Outside  # a duplicate key
                keys.add(key)
                nodes += 1
                pos = _skip(text, pos + 1)
            sub = None
            value: Any = None
            if text[pos] in "[{":
                sub, pos, sub_nodes, sub_levels = self.flow_tree(text, pos)
                nodes += sub_nodes
                levels = max(levels, sub_levels + 1)
            else:
                value, pos, quoted = self.flow_scalar(text, pos, ",}" if is_map else ",]")
                if not quoted:
                    value = self.plain_value(value)
                nodes += 1
            entries.append((key, col, value, sub))
            pos = _skip(text, pos)
            ch = text[pos]
            if ch == close:
                if is_map and levels == 1:
                    flat = {key: value for key, _, value, _ in entries}
                    cols = [(key, col) for key, col, _, _ in entries]
                    return (is_map, cols, flat), pos + 1, nodes, levels
                return (is_map, entries, None), pos + 1, nodes, levels
            if ch != ",":
                raise _Outside
            pos = _skip(text, pos + 1)
            if text[pos] == close:
                raise _Outside  # a trailing comma

    def flow_scalar(self, text: str, pos: int, stops: str) -> tuple[str, int, bool]:
        """A scalar inside a flow collection: (its text, where it ends, quoted); a plain one
        must end at one of ``stops``."""
        first = text[pos]
        if first == "'" or first == '"':
            value, end = _single_line(text, pos) if first == "'" else _double_line(text, pos)
            if end < 0:
                raise _Outside
            if "${" in value:
                raise _Outside
            return self.strings.setdefault(value, value), end, True
        found = _FLOW_STOP(text, pos)
        if found is None:
            raise _Outside  # the collection does not close on this line
        end = found.start()
        if text[end] not in stops:
            raise _Outside  # ':' '?' '#' '[' '{' inside a plain scalar: left to the previous way
        value = text[pos:end].rstrip(" ")
        if not value:
            raise _Outside
        return value, pos + len(value), False

    # -- one line ----------------------------------------------------------------

    def line(self, line: str) -> tuple[Any, ...]:
        """What a line says whatever its place: ``(column, item column or -1, key, key
        column, kind, payload, nodes)``; a line outside the shape read here is ``_BAD``
        (the document then falls back, unless the line continues a multi-line scalar)."""
        # `[- ]name:` and what follows: most lines (neither blank, a comment nor a marker)
        common = _COMMON_LINE(line)
        if common is not None:
            at = common.end(1)
        else:
            stripped = line.lstrip(" ")
            if not stripped:
                return _BLANK_LINE
            at = len(line) - len(stripped)
            if stripped[0] == "#":
                return (at, -1, None, -1, _COMMENT, None, 0)
            if at == 0 and (stripped.startswith(("---", "...")) or stripped[0] == "%"):
                return (at, -1, None, -1, _BAD, None, 0)
        key: str | None
        try:
            if common is not None:
                dashed, key_text, rest = common.group(2, 3, 5)
                key = self.keys.get(key_text) or self.key_of(key_text, False)
                if dashed is None:
                    item_at, key_at, nodes = -1, at, 1
                else:
                    item_at = key_at = at + 1 + len(dashed)
                    nodes = 2
                if not rest or rest[0] == "#":
                    return (at, item_at, key, key_at, _PENDING, None, nodes)
                if _SIMPLE_PLAIN(rest) is not None:  # a name, a word: what value() makes of it
                    value = self.plain.get(rest, _UNREAD)
                    if value is _UNREAD:
                        # plain_value's string case inline (most of these are new names): a
                        # letter or '_' first is no indicator; a text no resolver may match
                        # is a string
                        if rest[0] not in _RESOLVE_STARTS or _MAY_RESOLVE(rest) is None:
                            value = self.strings.setdefault(rest, rest)
                            self.plain[value] = value
                        else:
                            value = self.plain_value(rest)
                    return (at, item_at, key, key_at, _PLAIN, (value, rest), nodes + 1)
                kind, payload, value_nodes = self.value(line, common.start(5))
                return (at, item_at, key, key_at, kind, payload, nodes + value_nodes)
            item_at = -1
            pos = at
            nodes = 0
            if stripped[0] == "-" and (len(stripped) == 1 or stripped[1] == " "):
                item_at = _skip_to_end(line, at + 1)
                if (
                    item_at == len(line)
                    or line[item_at] == "#"
                    or line[item_at:].startswith(("- ", "-\n"))
                    or line[item_at:] == "-"
                ):
                    raise _Outside  # an item on the next lines, or a sequence in a sequence
                pos = item_at
            split = self.split_key(line, pos)
            if split is None:
                if item_at < 0:
                    raise _Outside  # a scalar where a key belongs
                key, key_at, value_at = None, -1, pos
            else:
                key, after = split
                key_at = pos
                nodes = 2 if item_at >= 0 else 1  # the key (and the item's mapping)
                value_at = _skip_to_end(line, after)
                if value_at == len(line) or line[value_at] == "#":
                    return (at, item_at, key, key_at, _PENDING, None, nodes)
            kind, payload, value_nodes = self.value(line, value_at)
            return (at, item_at, key, key_at, kind, payload, nodes + value_nodes)
        except (_Outside, IndexError):
            return (at, -1, None, -1, _BAD, None, 0)

    def value(self, line: str, at: int) -> tuple[int, Any, int]:
        """The scalar or flow collection at column ``at``: (kind, payload, nodes)."""
        first = line[at]
        if first == "[" or first == "{":
            tree, nodes, levels = self.flow(line[at:])
            return _FLOW, (tree, levels, at), nodes
        if first == "'":
            text, end = _single_line(line, at)
            if end < 0:
                part = line[at + 1 :].rstrip(" ")
                if not part or "'" in part.replace("''", ""):
                    raise _Outside
                return _OPEN_QUOTE, part, 1
            if not _only_comment(line, end) or "${" in text:
                raise _Outside
            return _SCALAR, self.strings.setdefault(text, text), 1
        if first == '"':
            text, end = _double_line(line, at)
            if end < 0 or not _only_comment(line, end) or "${" in text:
                raise _Outside
            return _SCALAR, self.strings.setdefault(text, text), 1
        hash_at = line.find(" #", at)
        text = (line[at:hash_at] if hash_at >= 0 else line[at:]).rstrip(" ")
        if text.endswith(":") or ": " in text:
            raise _Outside
        value = self.plain_value(text)
        if hash_at >= 0:
            return _SCALAR, value, 1  # a comment ends it: no continuation
        return _PLAIN, (value, text), 1

    # -- the document ------------------------------------------------------------

    def read(self, lines: list[str]) -> Located:
        root: dict[str, Any] = {}
        # each block collection's path -> (the collection, its entries' positions in order)
        here: list[int] = []  # the open collection's positions
        spots: dict[Path_, tuple[Any, list[int]]] = {(): (root, here)}
        n = len(lines)
        # each distinct line read once (a spec repeats most of its lines), then every line's
        # reading looked up in C: the loop below indexes a list instead of asking a dict
        parsed: dict[str, Any] = dict.fromkeys(lines)
        reader = self.line
        for text in parsed:
            try:
                parsed[text] = reader(text)
            except Exception:
                # a line the loop may never read as a line of its own (a multi-line
                # scalar's continuation, a block scalar's text) must not fail the document
                # here: the loop reads it again where it reaches it, and raises there
                parsed[text] = None
        self.parsed = parsed
        got_at: list[tuple[Any, ...] | None] = list(map(parsed.__getitem__, lines))
        i = 0
        while i < n:  # the first line with content is the root mapping's first key
            stripped = lines[i].lstrip(" ")
            if stripped and stripped[0] != "#":
                break
            i += 1
        else:
            raise _Outside  # no document
        first = lines[i]
        indent = len(first) - len(first.lstrip(" "))
        marks: dict[Path_, Any] = {(): pack_mark(i, indent)}
        nodes = 1
        # the open collection: data, is it a mapping, its indentation, its path, its depth,
        # and (a sequence) whether it is written without indentation under its key
        data: Any = root
        is_map = True
        path: Path_ = ()
        depth = 1
        indentless = False
        stack: list[tuple[Any, bool, int, Path_, int, bool, list[int]]] = []
        pending: str | None = None  # a key read whose value is on the next lines (or null)
        max_depth = self.max_depth
        while i < n:
            got = got_at[i]
            if got is None:  # its reading ahead raised: read it now, as the loop always did
                got = reader(lines[i])
            at, item_at, key, key_at, kind, payload, line_nodes = got
            if kind <= _COMMENT:
                i += 1
                continue
            if kind == _BAD:
                raise _Outside
            nodes += line_nodes
            # most lines are the next key of the open mapping, at its indentation (a line
            # without a dash always has a key): none of the checks below can apply
            if pending is not None or at != indent or item_at >= 0 or not is_map:
                dash = item_at >= 0
                if pending is not None:
                    if at > indent or (at == indent and dash):
                        child: Any = [] if dash else {}
                        nodes += 1
                        if depth + 1 > max_depth:
                            raise _Outside
                        child_path = (*path, pending)
                        data[pending] = child
                        stack.append((data, is_map, indent, path, depth, indentless, here))
                        indentless = at == indent
                        data, is_map, indent, path, depth = (
                            child,
                            not dash,
                            at,
                            child_path,
                            depth + 1,
                        )
                        here = []
                        spots[child_path] = (child, here)
                    else:
                        data[pending] = None
                        nodes += 1
                    pending = None
                while at < indent:
                    if not stack:
                        raise _Outside
                    data, is_map, indent, path, depth, indentless, here = stack.pop()
                if at != indent:
                    raise _Outside  # more indented than its collection: left to the previous way
                if is_map:
                    if dash:
                        raise _Outside
                elif not dash:
                    if not indentless:
                        raise _Outside
                    data, is_map, indent, path, depth, indentless, here = stack.pop()
                else:
                    here.append((i << 32) | item_at)
                    if key is None:
                        slot: Any = len(data)
                        data.append(None)
                    else:  # a mapping in the item, its first key on the dash's line
                        if depth + 1 > max_depth:
                            raise _Outside
                        item_path = (*path, len(data))
                        child = {}
                        data.append(child)
                        stack.append((data, is_map, indent, path, depth, indentless, here))
                        data, is_map, indent, path, depth = (
                            child,
                            True,
                            item_at,
                            item_path,
                            depth + 1,
                        )
                        indentless = False
                        here = []
                        spots[item_path] = (child, here)
            if key is not None:
                if key in data or (not path and key in LITERAL_KEYS):
                    raise _Outside  # a duplicate (worded by the previous way), vars:, extends:
                here.append((i << 32) | key_at)
                if kind == _PENDING:
                    pending = key
                    i += 1
                    continue
                slot = key
            i += 1
            if kind == _FLOW:
                tree, levels, flow_at = payload
                if depth + levels > max_depth:
                    raise _Outside
                flat = tree[2]
                data[slot] = _build(tree) if flat is None else flat
            elif kind == _SCALAR:
                data[slot] = payload
            elif kind == _PLAIN:
                value, text = payload
                if i < n:  # the next line may continue it: only if more indented (or blank)
                    after = got_at[i]
                    if after is None:
                        after = reader(lines[i])
                    if after[4] == _BLANK or (after[4] != _COMMENT and after[0] > indent):
                        text, i = _plain_lines(lines, i, indent, text)
                        if text is not payload[1]:  # continued on the next lines
                            value = self.plain_value(text)
                data[slot] = value
            else:  # _OPEN_QUOTE
                text, i = _single_lines(lines, i, indent, payload)
                data[slot] = self.strings.setdefault(text, text)
        if pending is not None:
            data[pending] = None
            nodes += 1
        if nodes > self.max_nodes:
            raise _Outside
        return Located(root, marks, self.file, Positions(self, lines, spots))


def _build(tree: Any) -> Any:
    """A fresh collection from a flow reading (positions: Positions)."""
    is_map, entries, flat = tree
    if flat is not None:  # scalars only (init's columns): every use of the text shares it
        return flat
    if is_map:
        return {key: value if sub is None else _build(sub) for key, _, value, sub in entries}
    return [value if sub is None else _build(sub) for _, _, value, sub in entries]


class Positions:
    """Every key's and item's position except the root's, kept per block collection and
    worked out for the rest when asked.

    A dictionary from key path to position was a path tuple and a dictionary entry for
    each of init's 420,000 block keys and items (a fifth of reading it), and only the
    builder (one position per requirement, read in document order: :meth:`entries`) and
    an error message ever read one. Each block collection keeps the positions of its
    entries in a list, in the collection's order (``spots``: path -> (collection, list)).

    The keys and items inside one-line flow collections are not kept at all (a third of
    init's positions: ``{type: bigint, nullable: false}`` on every column): the
    collection's owner (the key or item whose value it is) has its position, and its
    line, read again (the reader's per-line cache), gives each entry's column.

    The collections are the document's own (``Located.data``): nothing changes them
    after reading (a key removed would shift the positions after it).
    """

    def __init__(
        self, reader: _Reader, lines: list[str], spots: dict[Path_, tuple[Any, list[int]]]
    ) -> None:
        self.reader = reader
        self.lines = lines
        self.spots = spots
        self.indexes: dict[Path_, dict[str, int]] = {}  # a mapping's key -> its entry

    def entries(self, path: Path_) -> list[int] | None:
        """The positions of the entries of the block collection at ``path``, in order."""
        got = self.spots.get(path)
        return None if got is None else got[1]

    def stored(self, path: Path_) -> int | None:
        """The position of the block key or item at ``path`` (not the root's)."""
        parent = path[:-1]
        got = self.spots.get(parent)
        if got is None:
            return None
        container, positions = got
        last = path[-1]
        if type(container) is list:
            if type(last) is not int or not 0 <= last < len(positions):
                return None
            return positions[last]
        index = self.indexes.get(parent)
        if index is None:
            index = self.indexes[parent] = {key: n for n, key in enumerate(container)}
        n = index.get(last) if type(last) is str else None
        return positions[n] if n is not None and n < len(positions) else None

    def flow_of(self, owner: Path_, raw: Any) -> tuple[Any, int] | None:
        """``(tree, column)`` of the flow collection that is ``owner``'s value, if any."""
        if not owner or type(raw) is not int:
            return None
        number = raw >> 32
        text = self.lines[number]
        got = self.reader.parsed.get(text)
        if got is None:
            got = self.reader.line(text)
        _, item_at, key, key_at, kind, payload, _ = got
        if kind != _FLOW:
            return None
        last = owner[-1]
        column = raw & _COLUMN
        if type(last) is int:
            if key is not None or item_at != column:
                return None  # the item is a mapping: the collection is its key's value
        elif key != last or key_at != column:
            return None
        tree, _, flow_at = payload
        return tree, flow_at

    def find(self, path: Path_) -> Any:
        if not path:
            return None
        raw = self.stored(path)
        if raw is not None:
            return raw
        for cut in range(len(path) - 1, 0, -1):
            raw = self.stored(path[:cut])
            if raw is not None:
                break
        else:
            return None
        found = self.flow_of(path[:cut], raw)
        if found is None:
            return None
        tree, flow_at = found
        column = -1
        for part in path[cut:]:
            if tree is None:
                return None
            is_map, entries, flat = tree
            if is_map:
                if type(part) is not str:
                    return None
                for entry in entries:
                    if entry[0] == part:
                        column = entry[1]
                        tree = None if flat is not None else entry[3]
                        break
                else:
                    return None
            else:
                if type(part) is not int or not 0 <= part < len(entries):
                    return None
                _, column, _, tree = entries[part]
        return (raw >> 32 << 32) | (flow_at + column)

    def every(self) -> dict[Path_, Any]:
        out: dict[Path_, Any] = {}
        self.walk((), out)
        return out

    def walk(self, path: Path_, out: dict[Path_, Any]) -> None:
        """The positions in and under the block collection at ``path``, in document order."""
        container, positions = self.spots[path]
        keys = range(len(container)) if type(container) is list else container
        for key, raw in zip(keys, positions, strict=False):
            sub = (*path, key)
            out[sub] = raw
            if sub in self.spots:
                self.walk(sub, out)
                continue
            found = self.flow_of(sub, raw)
            if found is not None:
                tree, flow_at = found
                _entries(tree, sub, out, (raw >> 32) << 32, flow_at)


def positions(
    file: str, max_nodes: int, max_depth: int, lines: list[str], spots: dict[Path_, Any]
) -> Positions:
    """The positions of a document another process read from ``lines`` (``spec.ahead``),
    as :meth:`_Reader.read` keeps them (``spots``: each block collection's path -> (the
    collection, its entries' positions)); a flow collection's entries are worked out from
    its line when asked, each line read again here (the reading is the text's alone)."""
    return Positions(_Reader(file, max_nodes, max_depth), lines, spots)


def _entries(tree: Any, path: Path_, out: dict[Path_, Any], line: int, at: int) -> None:
    """Each key's and item's position inside a flow reading, in document order."""
    is_map, entries, flat = tree
    if flat is not None:
        for key, col in entries:
            out[(*path, key)] = line | (at + col)
        return
    for index, (key, col, _, sub) in enumerate(entries):
        sub_path = (*path, key if is_map else index)
        out[sub_path] = line | (at + col)
        if sub is not None:
            _entries(sub, sub_path, out, line, at)


def _doubtful_start(text: str) -> bool:
    """A plain scalar starting with an indicator (``-`` only before a space or alone),
    or with a document marker: left to the previous way."""
    first = text[0]
    if first == "-":
        return len(text) == 1 or text[1] == " " or text.startswith("---")
    return first in _NOT_PLAIN_START or text.startswith("...")


def _skip_to_end(line: str, pos: int) -> int:
    """The first column at or after ``pos`` that is not a space (``len(line)`` if none)."""
    while pos < len(line) and line[pos] == " ":
        pos += 1
    return pos


def _skip(text: str, pos: int) -> int:
    while text[pos] == " ":
        pos += 1
    return pos


def _only_comment(line: str, pos: int) -> bool:
    """Whether ``line[pos:]`` is blank or a comment (``#`` after a space)."""
    rest = line[pos:]
    stripped = rest.lstrip(" ")
    return not stripped or (stripped[0] == "#" and len(stripped) < len(rest))


def _single_line(line: str, at: int) -> tuple[str, int]:
    """A single-quoted scalar closing on its line: (text, column after it); end -1 if open."""
    out = []
    pos = at + 1
    while True:
        quote = line.find("'", pos)
        if quote < 0:
            return "", -1
        out.append(line[pos:quote])
        if line[quote + 1 : quote + 2] == "'":
            out.append("'")
            pos = quote + 2
            continue
        return "".join(out), quote + 1


def _single_lines(lines: list[str], i: int, indent: int, first: str) -> tuple[str, int]:
    """A single-quoted scalar folded over lines (as ``init`` writes a long one), ``first``
    its text on the opening line and ``i`` the next line: each line break between two
    non-blank lines is one space, the lines' own spaces around it dropped."""
    parts = [first]
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip(" ")
        if not stripped or len(line) - len(stripped) <= indent or stripped[0] == "#":
            raise _Outside  # a blank line (a newline), or not indented as a continuation
        text, end = _single_line("'" + stripped, 0)
        if end < 0:
            if "'" in stripped.replace("''", ""):
                raise _Outside
            parts.append(stripped.rstrip(" "))
            i += 1
            continue
        if not _only_comment(stripped, end - 1):
            raise _Outside
        joined = " ".join(part.replace("''", "'") for part in parts)
        return joined + " " + text, i + 1
    raise _Outside


def _plain_lines(lines: list[str], i: int, indent: int, text: str) -> tuple[str, int]:
    """A plain scalar and the more indented lines that continue it (joined by spaces)."""
    n = len(lines)
    while i < n:
        line = lines[i]
        stripped = line.lstrip(" ")
        if not stripped:
            # a blank line: the scalar ends unless a more indented line follows (a newline)
            j = i + 1
            while j < n and not lines[j].strip(" "):
                j += 1
            if j < n and len(lines[j]) - len(lines[j].lstrip(" ")) > indent:
                raise _Outside
            return text, i
        if len(line) - len(stripped) <= indent:
            return text, i
        if stripped[0] in "#-" or ": " in stripped or " #" in stripped or stripped.endswith(":"):
            raise _Outside
        if stripped.startswith(("---", "...")):
            raise _Outside
        text = text + " " + stripped.rstrip(" ")
        i += 1
    return text, i


def _double_line(line: str, at: int) -> tuple[str, int]:
    """A double-quoted scalar closing on its line: (text, column after it); end -1 if open."""
    out = []
    pos = at + 1
    n = len(line)
    while True:
        quote = line.find('"', pos)
        slash = line.find("\\", pos, quote if quote >= 0 else n)
        if slash < 0:
            if quote < 0:
                return "", -1
            out.append(line[pos:quote])
            return "".join(out), quote + 1
        out.append(line[pos:slash])
        code = line[slash + 1 : slash + 2]
        if code in _DQ_ESCAPES:
            out.append(_DQ_ESCAPES[code])
            pos = slash + 2
        elif code in _DQ_HEX:
            digits = line[slash + 2 : slash + 2 + _DQ_HEX[code]]
            if len(digits) != _DQ_HEX[code] or not all(
                c in "0123456789abcdefABCDEF" for c in digits
            ):
                raise _Outside
            point = int(digits, 16)
            if 0xD800 <= point <= 0xDFFF:
                raise _Outside
            out.append(chr(point))
            pos = slash + 2 + len(digits)
        else:
            raise _Outside  # a line break escaped, or an escape libyaml refuses
