"""The spec's JSON Schema compiled once into closures that answer one question: valid or not.

A generic JSON-Schema validator walks the schema for every node of the document (a
1,000-table spec has 120,000 of them) and builds an error object per failed ``anyOf``
branch; that was most of loading a large spec. A spec is almost always valid, so the
loader asks :func:`compile_schema`'s function first and runs jsonschema only when it
says no, to word the errors exactly as before (file:line, key, did-you-mean).

Only the keywords the spec schema uses are compiled, with jsonschema's Draft 2020-12
meaning (booleans are not integers, an integral float is one, ``pattern`` searches,
``enum``/``const`` compare without ``True == 1``); any other keyword is refused when
the schema is compiled, so a schema change cannot be silently ignored.
tests/test_spec_validator.py holds both validators to the same verdict.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

# annotations: no effect on validity
_IGNORED = frozenset(
    {
        "$id",
        "$schema",
        "$defs",
        "definitions",
        "$comment",
        "title",
        "description",
        "default",
        "examples",
    }
)
_KNOWN = _IGNORED | {
    "type",
    "properties",
    "additionalProperties",
    "patternProperties",
    "propertyNames",
    "required",
    "enum",
    "const",
    "items",
    "anyOf",
    "oneOf",
    "allOf",
    "not",
    "pattern",
    "$ref",
}


def compile_schema(schema: dict[str, Any] | bool) -> Check:
    """A function telling whether a document is valid against ``schema``."""
    compiler = _Compiler(schema)
    check = compiler.compile(schema)
    memos = compiler.memos
    lock = threading.Lock()

    def run(value: Any) -> bool:
        # each mapping check remembers the mappings it found valid during one call (see
        # _object): a document's mappings stay as they are while it is checked, and the
        # memos are emptied before the next document (one document at a time)
        with lock:
            try:
                return check(value)
            finally:
                for memo in memos:
                    memo.clear()

    return run


class _Compiler:
    """Compiles one schema; ``$ref`` resolves JSON pointers (``#/$defs/x``) inside it."""

    def __init__(self, root: dict[str, Any] | bool) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}
        self.memos: list[dict[int, Any]] = []  # each mapping check's (see _object)

    def ref(self, pointer: str) -> Check:
        if not pointer.startswith("#"):
            raise ValueError(f"spec schema $ref outside the schema: {pointer!r}")
        if pointer not in self.refs:
            cell: list[Check] = []
            # a recursive reference calls the compiled target through the cell
            self.refs[pointer] = lambda value: cell[0](value)
            target: Any = self.root
            for part in [p for p in pointer[1:].split("/") if p]:
                part = part.replace("~1", "/").replace("~0", "~")
                target = target[int(part)] if isinstance(target, list) else target[part]
            cell.append(self.compile(target))
        return self.refs[pointer]

    def compile(self, schema: dict[str, Any] | bool) -> Check:
        return _compile(schema, self)


def _compile(schema: dict[str, Any] | bool, compiler: _Compiler) -> Check:
    sub = compiler.compile  # subschemas, compiled in the same schema (for $ref)
    if schema is True:
        return _always
    if schema is False:
        return _never
    unknown = set(schema) - _KNOWN
    if unknown:
        raise ValueError(f"spec schema keyword(s) the compiled validator lacks: {sorted(unknown)}")
    checks: list[Check] = []
    kind = schema.get("type")
    objects = any(k in schema for k in ("properties", "additionalProperties", "patternProperties"))
    # ``type: object`` with the object keywords, ``type: array`` with ``items``: one closure
    # that checks the type itself (two calls fewer per node: a 5,000-table spec has 110,000
    # columns, each an object in an anyOf)
    fused = (kind == "object" and objects) or (kind == "array" and "items" in schema)
    if "type" in schema and not fused:
        checks.append(_type(schema["type"]))
    if "enum" in schema:
        checks.append(_enum(schema["enum"]))
    if "const" in schema:
        checks.append(_enum([schema["const"]]))
    if "pattern" in schema:
        checks.append(_pattern(schema["pattern"]))
    if objects:
        checks.append(_object(schema, sub, kind == "object", compiler.memos))
    if "required" in schema:
        checks.append(_required(schema["required"]))
    if "propertyNames" in schema:
        checks.append(_property_names(sub(schema["propertyNames"])))
    if "items" in schema:
        checks.append(_items(sub(schema["items"]), kind == "array"))
    if "anyOf" in schema:
        checks.append(_any_of([sub(s) for s in schema["anyOf"]]))
    if "oneOf" in schema:
        checks.append(_one_of([sub(s) for s in schema["oneOf"]]))
    if "allOf" in schema:
        checks.append(_all_of([sub(s) for s in schema["allOf"]]))
    if "not" in schema:
        negated = sub(schema["not"])
        checks.append(lambda value: not negated(value))
    if "$ref" in schema:
        checks.append(compiler.ref(schema["$ref"]))
    return _all_of(checks)


def _all_of(checks: list[Check]) -> Check:
    """Every check passes; the common lengths without a generator (a node is checked by
    two or three keywords, and a 5,000-table spec has 1.6 million nodes)."""
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda value: first(value) and second(value)
    if len(checks) == 3:
        first, second, third = checks
        return lambda value: first(value) and second(value) and third(value)
    return lambda value: all(check(value) for check in checks)


def _always(value: Any) -> bool:
    return True


def _never(value: Any) -> bool:
    return False


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": _is_integer,
    "number": _is_number,
}


def _type(names: str | list[str]) -> Check:
    tests = [_TYPES[n] for n in ([names] if isinstance(names, str) else names)]
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda value: first(value) or second(value)
    return lambda value: any(test(value) for test in tests)


def _equal(one: Any, two: Any) -> bool:
    """jsonschema's equality: ``True`` is not ``1``; lists and mappings compared deeply."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, list | tuple) and isinstance(two, list | tuple):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(_equal(one[k], two[k]) for k in one)
    if isinstance(one, bool) or isinstance(two, bool):
        return type(one) is type(two) and one == two
    return bool(one == two)


def _enum(options: list[Any]) -> Check:
    strings = frozenset(o for o in options if isinstance(o, str))
    others = [o for o in options if not isinstance(o, str)]

    def check(value: Any) -> bool:
        if isinstance(value, str):
            return value in strings
        return any(_equal(value, o) for o in others)

    return check


def _pattern(pattern: str) -> Check:
    search = re.compile(pattern).search
    return lambda value: not isinstance(value, str) or search(value) is not None


def _object(
    schema: dict[str, Any],
    sub: Callable[[Any], Check],
    typed: bool = False,
    memos: list[dict[int, Any]] | None = None,
) -> Check:
    """The object keywords; ``typed``: also ``type: object`` (anything else is invalid).

    A mapping found valid is remembered by identity until the document's check ends
    (``memos``, emptied by :func:`compile_schema`'s function): spec.blockread gives every
    line that repeats a one-line flow mapping the same mapping (init's 1,000-table spec:
    23,910 columns written ``{type: …, nullable: …}`` in 28 texts), checked once. The memo
    holds the mapping itself, so its id names no other object while it is remembered."""
    properties = {k: sub(s) for k, s in (schema.get("properties") or {}).items()}
    patterns = [
        (re.compile(p).search, sub(s)) for p, s in (schema.get("patternProperties") or {}).items()
    ]
    extra_schema = schema.get("additionalProperties", True)
    extra = sub(extra_schema)
    open_ended = extra_schema is True

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return not typed
        for key, item in value.items():
            known = properties.get(key)
            if known is not None and not known(item):
                return False
            matched = False
            for search, sub in patterns:
                if search(key) is not None:
                    matched = True
                    if not sub(item):
                        return False
            if known is None and not matched and not open_ended and not extra(item):
                return False
        return True

    seen: dict[int, Any] = {}
    # the mappings found valid as additionalProperties values, as ``seen``: init's columns
    # mapping gives each column's shared flow mapping to ``extra`` (an anyOf of the column
    # schema and null), two calls per column before its own memo answered
    extra_seen: dict[int, Any] = {}
    if memos is not None:
        memos.append(seen)
        memos.append(extra_seen)

    def named_only(value: Any) -> bool:  # no patternProperties: the common shape, no loop
        if not isinstance(value, dict):
            return not typed
        if id(value) in seen:
            return True
        get = properties.get
        for key, item in value.items():
            known = get(key)
            if known is not None:
                if not known(item):
                    return False
            elif not open_ended and id(item) not in extra_seen:
                if not extra(item):
                    return False
                if type(item) is dict:
                    extra_seen[id(item)] = item
        seen[id(value)] = value
        return True

    return check if patterns else named_only


def _required(names: list[str]) -> Check:
    """``required``: the mapping's keys compared with the names as sets (in C), not a
    generator per node (init's 1,000-table spec has 21,500 nodes with ``required``)."""
    wanted = frozenset(names)
    return lambda value: not isinstance(value, dict) or value.keys() >= wanted


def _property_names(check: Check) -> Check:
    return lambda value: not isinstance(value, dict) or all(check(k) for k in value)


def _items(check: Check, typed: bool = False) -> Check:
    """``items``; ``typed``: also ``type: array`` (anything else is invalid)."""

    def items(value: Any) -> bool:
        if not isinstance(value, list):
            return not typed
        for item in value:  # noqa: SIM110 (a loop, not all(): no generator per list)
            if not check(item):
                return False
        return True

    return items


def _any_of(checks: list[Check]) -> Check:
    if len(checks) == 2:  # the common ``[a mapping, null]``: no generator per node
        first, second = checks
        return lambda value: first(value) or second(value)
    return lambda value: any(check(value) for check in checks)


def _one_of(checks: list[Check]) -> Check:
    return lambda value: sum(1 for check in checks if check(value)) == 1
