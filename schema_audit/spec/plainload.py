"""A plain spec straight from libyaml's events to data with positions, no node graph.

Composing a spec first (``yamlpos.compose``) builds a Python node per scalar, each
with two marks; for init's 5,000-table spec that graph was about 520 MB alive at
once beside the data converted from it, most of an audit's peak memory. A spec is
almost always *plain*: one mapping document of mappings, lists and untagged
scalars, with no anchors, aliases, merge keys, explicit tags, complex keys,
``vars:``, ``extends:`` or ``${VAR}``. Such a document is a tree, so reading its
events once gives the same data and the same positions as composing and
converting it, and the spec limits reduce to counting nodes and nesting.

Anything else returns ``None`` and the caller takes the composing path, which
reads every YAML feature and words every error (syntax, duplicate keys, limits):
this module never reports a problem itself, so it cannot word one differently.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from schema_audit.spec.yamlpos import _LOADER, LITERAL_KEYS, Located, Mark, Path_

_STR, _NULL, _BOOL = "tag:yaml.org,2002:str", "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool"
# the implicit tags a plain scalar may resolve to that PyYAML's safe constructor builds
# from the text alone (merge keys, ``=`` and the rest make the document not plain)
_CONSTRUCTED = (
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
)
_TRUE = ("yes", "true", "on", "y")
# keys the composing path turns into the same text: str() of the constructed value
_KEY_TAGS = (_STR, _NULL, _BOOL, "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


class _NotPlain(Exception):
    """The document uses something only the composing path reads."""


def load_plain(text: str, file: str, max_nodes: int, max_depth: int) -> Located | None:
    """The document as ``yamlpos.convert(yamlpos.compose(text))`` gives it, or ``None``
    when it is not plain (see the module docstring) or exceeds ``max_nodes`` nodes or
    ``max_depth`` levels of nesting (the composing path then reports the limit)."""
    if "${" in text:
        return None
    loader = _LOADER(text)
    try:
        return _load(loader, file, max_nodes, max_depth)
    except (_NotPlain, yaml.YAMLError, ValueError, TypeError, OverflowError):
        return None
    finally:
        loader.dispose()


class _Frame:
    """An open mapping or list: its data, key path, depth and (mappings) the key read."""

    __slots__ = ("data", "depth", "key", "path")

    def __init__(self, data: Any, path: Path_, depth: int) -> None:
        self.data = data
        self.path = path
        self.depth = depth
        self.key: str | None = None


def _load(loader: Any, file: str, max_nodes: int, max_depth: int) -> Located:
    get = loader.get_event
    resolve = loader.resolve
    ctor = yaml.SafeLoader("")
    marks: dict[Path_, Any] = {}
    strings: dict[str, str] = {}
    nodes = 0
    if not isinstance(get(), yaml.StreamStartEvent):
        raise _NotPlain
    if not isinstance(get(), yaml.DocumentStartEvent):
        raise _NotPlain  # an empty stream: no document
    event = get()
    if not isinstance(event, yaml.MappingStartEvent) or event.anchor is not None:
        raise _NotPlain
    if event.tag not in (None, "!"):
        raise _NotPlain
    root: dict[str, Any] = {}
    start = event.start_mark
    marks[()] = Mark(start.line + 1, start.column + 1) if start is not None else Mark(1, 1)
    nodes += 1
    stack = [_Frame(root, (), 1)]
    top = stack[-1]
    while stack:
        event = get()
        kind = type(event)
        if kind is yaml.ScalarEvent:
            if event.anchor is not None or event.tag not in (None, "!"):
                raise _NotPlain
            nodes += 1
            if nodes > max_nodes:
                raise _NotPlain
            tag = resolve(yaml.ScalarNode, event.value, event.implicit)
            value = _scalar(tag, event, ctor, strings)
            if isinstance(value, str) and "${" in value:
                raise _NotPlain  # written with an escape (\x24{): substituted there
            if isinstance(top.data, dict):
                if top.key is None:
                    if tag not in _KEY_TAGS:
                        raise _NotPlain  # a merge key (<<), a date (str() of it there)
                    key = value if isinstance(value, str) else str(value)
                    if key in top.data or (not top.path and key in LITERAL_KEYS):
                        raise _NotPlain  # a duplicate (worded there), vars: or extends:
                    top.key = key
                    marks[(*top.path, key)] = event.start_mark
                    continue
                top.data[top.key] = value
                top.key = None
            else:
                marks[(*top.path, len(top.data))] = event.start_mark
                top.data.append(value)
            continue
        if kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            if event.anchor is not None or event.tag not in (None, "!"):
                raise _NotPlain
            nodes += 1
            if nodes > max_nodes or top.depth + 1 > max_depth:
                raise _NotPlain
            data: Any = {} if kind is yaml.MappingStartEvent else []
            if isinstance(top.data, dict):
                if top.key is None:
                    raise _NotPlain  # a mapping or list as a key
                path = (*top.path, top.key)
                top.data[top.key] = data
                top.key = None
            else:
                path = (*top.path, len(top.data))
                marks[path] = event.start_mark
                top.data.append(data)
            top = _Frame(data, path, top.depth + 1)
            stack.append(top)
            continue
        if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            stack.pop()
            if stack:
                top = stack[-1]
            continue
        raise _NotPlain  # an alias
    if not isinstance(get(), yaml.DocumentEndEvent) or not isinstance(get(), yaml.StreamEndEvent):
        raise _NotPlain  # more than one document: the composing path says so
    return Located(root, marks, file)


def _scalar(tag: str, event: Any, ctor: yaml.SafeLoader, strings: dict[str, str]) -> Any:
    """What ``yamlpos._scalar`` makes of a scalar node with this tag (dates as text).

    Text is kept once per distinct value (``strings``): a spec repeats its keys and
    types (``type``, ``nullable``, ``bigint``) on every column, and libyaml gives a new
    string for each occurrence (a fifth of init's spec in memory)."""
    if tag == _STR:
        value = event.value
        return strings.setdefault(value, value)
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return event.value.lower() in _TRUE
    if tag not in _CONSTRUCTED:
        raise _NotPlain
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    value = ctor.construct_object(node, deep=True)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value
