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


def _tag_of(loader: Any) -> Any:
    """The implicit tag of a scalar event, as ``loader.resolve`` gives it, but cheaper.

    Most of a spec's scalars are names and words: a quoted scalar, or a plain one whose
    first character starts no implicit type (a letter other than y/n/t/f/o, …), is a
    string without trying a regular expression; the rest are resolved once per text.
    """
    resolve = loader.resolve
    if loader.yaml_path_resolvers:  # none in the safe loader; a resolver's paths need resolve
        return lambda event: resolve(yaml.ScalarNode, event.value, event.implicit)
    starts: frozenset[str] | None = frozenset(k for k in loader.yaml_implicit_resolvers if k)
    if None in loader.yaml_implicit_resolvers:  # a wildcard resolver: every text may match
        starts = None
    seen: dict[str, str] = {}

    def tag_of(event: Any) -> str:
        value = event.value
        if not event.implicit[0]:
            return _STR  # quoted, a block scalar or "!": PyYAML's default scalar tag
        if starts is not None and value and value[0] not in starts:
            return _STR
        tag = seen.get(value)
        if tag is None:
            tag = seen[value] = resolve(yaml.ScalarNode, value, event.implicit)
        return tag

    return tag_of


def _load(loader: Any, file: str, max_nodes: int, max_depth: int) -> Located:
    get = loader.get_event
    tag_of = _tag_of(loader)
    ctor = yaml.SafeLoader("")
    marks: dict[Path_, Any] = {}
    strings: dict[str, str] = {}
    intern = strings.setdefault
    scalar_event, mapping_start, sequence_start = (
        yaml.ScalarEvent,
        yaml.MappingStartEvent,
        yaml.SequenceStartEvent,
    )
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    plain_tags = (None, "!")
    nodes = 0
    if not isinstance(get(), yaml.StreamStartEvent):
        raise _NotPlain
    if not isinstance(get(), yaml.DocumentStartEvent):
        raise _NotPlain  # an empty stream: no document
    event = get()
    if not isinstance(event, mapping_start) or event.anchor is not None:
        raise _NotPlain
    if event.tag not in plain_tags:
        raise _NotPlain
    root: dict[str, Any] = {}
    start = event.start_mark
    marks[()] = Mark(start.line + 1, start.column + 1) if start is not None else Mark(1, 1)
    nodes += 1
    # the open mapping or list (``data``), whether it is a mapping, its key path and depth,
    # and (a mapping) the key read and waiting for its value; the enclosing ones on ``stack``
    data: Any = root
    is_map = True
    path: Path_ = ()
    depth = 1
    key: str | None = None
    stack: list[tuple[Any, bool, Path_, int]] = []
    while True:
        event = get()
        kind = type(event)
        if kind is scalar_event:
            if event.anchor is not None or event.tag not in plain_tags:
                raise _NotPlain
            nodes += 1
            if nodes > max_nodes:
                raise _NotPlain
            tag = tag_of(event)
            if tag == _STR:
                value = event.value
                if "${" in value:
                    raise _NotPlain  # written with an escape (\x24{): substituted there
                value = intern(value, value)
            else:
                value = _scalar(tag, event, ctor)
            if is_map:
                if key is None:
                    if tag not in _KEY_TAGS:
                        raise _NotPlain  # a merge key (<<), a date (str() of it there)
                    key = value if isinstance(value, str) else str(value)
                    if key in data or (not path and key in LITERAL_KEYS):
                        raise _NotPlain  # a duplicate (worded there), vars: or extends:
                    marks[(*path, key)] = event.start_mark
                    continue
                data[key] = value
                key = None
            else:
                marks[(*path, len(data))] = event.start_mark
                data.append(value)
            continue
        if kind is mapping_start or kind is sequence_start:
            if event.anchor is not None or event.tag not in plain_tags:
                raise _NotPlain
            nodes += 1
            if nodes > max_nodes or depth + 1 > max_depth:
                raise _NotPlain
            child: Any = {} if kind is mapping_start else []
            if is_map:
                if key is None:
                    raise _NotPlain  # a mapping or list as a key
                child_path = (*path, key)
                data[key] = child
                key = None
            else:
                child_path = (*path, len(data))
                marks[child_path] = event.start_mark
                data.append(child)
            stack.append((data, is_map, path, depth))
            data, is_map, path, depth = child, kind is mapping_start, child_path, depth + 1
            continue
        if kind in ends:
            if not stack:
                break
            data, is_map, path, depth = stack.pop()
            key = None  # a value was just stored (mapping), or nothing waits (list)
            continue
        raise _NotPlain  # an alias
    if not isinstance(get(), yaml.DocumentEndEvent) or not isinstance(get(), yaml.StreamEndEvent):
        raise _NotPlain  # more than one document: the composing path says so
    return Located(root, marks, file)


def _scalar(tag: str, event: Any, ctor: yaml.SafeLoader) -> Any:
    """What ``yamlpos._scalar`` makes of a scalar node with this (non-string) tag (dates as text).

    Strings are kept by the caller once per distinct value: a spec repeats its keys and
    types (``type``, ``nullable``, ``bigint``) on every column, and libyaml gives a new
    string for each occurrence (a fifth of init's spec in memory)."""
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
