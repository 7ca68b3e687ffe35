"""pglast's ``parse_sql``, made safe for text from a pull request, and cheaper.

Safety: pglast builds its Python syntax tree by C recursion with no depth check, so an
expression nested about 20,000 deep (``1 + 1 + …``, two characters a level) kills the
process with SIGSEGV, wherever the text is parsed. ``parse_sql_json`` goes through
PostgreSQL's stack-depth check and raises a ParseError instead.

Speed: pglast's own tree costs a pass through a validating Python ``__setattr__`` for
every attribute of every node (1.5 million calls for a 1,000-table history, thirty
times the C parse). Here the tree is built from libpg_query's JSON form (one C parse,
one C JSON decode) into the very same pglast node classes, attributes set directly,
with exactly the values pglast's parser gives them: the same defaults for what the JSON
omits (False, 0, ``'\\x00'``, the enum's zero member, None), enums by name, locations as
character indexes (pglast's ``Displacements``). Anything this builder does not know (a
node kind or attribute it has no rule for, nesting deeper than Python's recursion limit,
an empty string literal the JSON drops) goes to pglast's parser, so the result is always
pglast's tree; tests compare both trees, locations included, over every SQL file of the
test suite.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
from collections.abc import Callable, Hashable
from enum import Enum
from types import MemberDescriptorType
from typing import Any

import pglast
import pglast.parser
from pglast import ast, enums
from pglast.stream import RawStream
from pglast.visitors import Continue, Visitor

from schema_audit.sqlspace import one_line  # noqa: F401  (its callers import it here)

_NEW = object.__new__
_SET = object.__setattr__

# Text this short cannot nest deep enough to crash pglast (two characters a level).
DEPTH_CHECKED_CHARS = 16 * 1024

_INT_TYPES = {
    "AclMode",
    "AttrNumber",
    "Index",
    "RelFileNumber",
    "SubTransactionId",
    "bits32",
    "int",
    "int16",
    "int32",
    "long",
    "uint32",
    "uint64",
}


class _Unsupported(Exception):
    """A node or attribute the builder has no rule for: pglast's parser builds the tree."""


def _slot_rule(ctype: str) -> tuple[str, Any, Any]:
    """(kind, default, argument) of one attribute, from the C type pglast records for it."""
    if ctype in ("Node*", "Expr*"):
        return ("node", None, None)
    if ctype == "List*":
        return ("list", None, None)
    if ctype == "char*":
        return ("plain", None, None)
    if ctype == "bool":
        return ("plain", False, None)
    if ctype == "char":
        return ("plain", "\x00", None)
    if ctype in _INT_TYPES:
        return ("plain", 0, None)
    if ctype == "ParseLoc":
        return ("loc", 0, None)
    if ctype in ("Cardinality", "Cost"):
        return ("float", 0.0, None)
    if ctype == "Bitmapset*":
        return ("set", None, None)
    if ctype == "CreateStmt":
        return ("typed", None, "CreateStmt")
    enum = getattr(enums, ctype, None)
    if enum is not None:
        return ("enum", None, enum)
    if ctype.endswith("*") and isinstance(getattr(ast, ctype[:-1], None), type):
        return ("typed", None, ctype[:-1])
    return ("unsupported", None, None)


def _rules(kind: str) -> tuple[type, dict[str, tuple[str, str, Any, Any]]]:
    """A node kind's class and, by JSON key, (attribute, kind, default, argument).

    pglast names an attribute that is a Python keyword with a trailing underscore (``def_``);
    the JSON keeps PostgreSQL's name (``def``).
    """
    cls = getattr(ast, kind, None)
    slots = getattr(cls, "__slots__", None)  # pglast's slot table: name -> SlotTypeInfo
    if not (isinstance(cls, type) and issubclass(cls, ast.Node) and isinstance(slots, dict)):
        raise _Unsupported(kind)
    return cls, {
        attr.removesuffix("_"): (attr, *_slot_rule(info.c_type)) for attr, info in slots.items()
    }


class _Builder:
    """pglast nodes from one statement list's JSON; ``loc`` maps UTF-8 offsets to indexes.

    ``last`` is the last character index of an ASCII text, where an offset is its own index
    (the generated builders compare against it instead of calling ``loc``), -1 otherwise.
    """

    __slots__ = ("loc", "last", "zero")

    def __init__(self, loc: Callable[[int], int | None], last: int = -1) -> None:
        self.loc = loc
        self.last = last
        self.zero = loc(0)  # an omitted location

    def wrapped(self, value: dict) -> Any:
        """A ``{"Kind": {...}}`` value (a Node* or a list item); ``{}`` is a NULL item."""
        if value.__class__ is not dict:
            raise _Unsupported(f"node as {type(value).__name__}")
        if len(value) != 1:
            if not value:
                return None
            raise _Unsupported(f"node with {len(value)} keys")
        ((kind, body),) = value.items()
        return (_BUILDERS.get(kind) or _first_builder(kind))(self, body)

    def list(self, body: dict) -> tuple:
        """pglast's form of a List node: a tuple of its items."""
        w = self.wrapped
        return tuple([w(item) for item in body.get("items", ())])

    def absent(self, kind: str, key: str) -> Any:
        raise _Unsupported(f"{kind}.{key} missing")

    def a_const(self, body: dict) -> ast.A_Const:
        """pglast's A_Const: ``isnull`` and one value node; it keeps no location."""
        obj = _NEW(ast.A_Const)
        isnull = bool(body.get("isnull", False))
        value: ast.Node | None = None
        if not isnull:
            if "boolval" in body:
                value = _value(ast.Boolean, "boolval", body["boolval"].get("boolval", False))
            elif "ival" in body:
                value = _value(ast.Integer, "ival", body["ival"].get("ival", 0))
            elif "fval" in body:
                value = _value(ast.Float, "fval", body["fval"].get("fval"))
            elif "bsval" in body:
                value = _value(ast.BitString, "bsval", body["bsval"].get("bsval"))
            elif "sval" in body:
                value = _value(ast.String, "sval", body["sval"].get("sval"))
            else:
                raise _Unsupported("A_Const without a value")
        if set(body) - {"isnull", "location", "boolval", "ival", "fval", "bsval", "sval"}:
            raise _Unsupported("A_Const key")
        _SET(obj, "isnull", isnull)
        _SET(obj, "val", value)
        return obj

    def raw_stmt(self, body: dict) -> ast.RawStmt:
        """As pglast computes them: ``stmt_len`` counted in characters, 0 for "to the end"."""
        if set(body) - {"stmt", "stmt_location", "stmt_len"}:
            raise _Unsupported("RawStmt key")
        obj = _NEW(ast.RawStmt)
        start = body.get("stmt_location", 0)
        _SET(obj, "stmt", self.wrapped(body["stmt"]) if "stmt" in body else None)
        first, last = self.loc(start), self.loc(start + body.get("stmt_len", 0))
        if first is None or last is None:
            raise _Unsupported("statement outside the text")  # pglast's parser decides
        _SET(obj, "stmt_location", first)
        _SET(obj, "stmt_len", last - first)
        return obj


# One builder function per node kind, generated from pglast's slot table once the kind is
# met often (a loop over the rules costs ~1.3x as much per node: this is the hot path of a
# long read), interpreted from the same rules before that: generating one kind's code costs
# about what the loop loses on a few hundred of its nodes, and a short read (an Alembic
# history of a few revisions, whose start-up is measured) meets thirty kinds a few times
# each. 64: fewer instructions than 256 for the B0.3 audit and a 200-table history alike.
_BUILDERS: dict[str, Callable[[_Builder, dict], Any]] = {
    "List": _Builder.list,
    "A_Const": _Builder.a_const,
}
_GENERATED: dict[str, Callable[[_Builder, dict], Any]] = {}  # by kind, once generated
_GENERATE_AFTER = 64  # nodes of one kind built by the loop before its code is generated


def _first_builder(kind: str) -> Callable[[_Builder, dict], ast.Node]:
    """The builder of a kind met for the first time: :func:`_interpreted` until it has built
    ``_GENERATE_AFTER`` nodes, then :func:`_compile`'s (the same nodes, the same errors)."""
    if _GENERATE_AFTER <= 0:
        return _compile(kind)
    build = _BUILDERS[kind] = _interpreted(kind)
    return build


def _interpreted(kind: str) -> Callable[[_Builder, dict], ast.Node]:
    """:func:`_compile`'s builder as a loop over the rules: statement for statement what the
    generated code does (the same expressions, so the same result and the same error for
    JSON it has no rule for); it hands over to the generated code after a while."""
    cls, rules = _rules(kind)
    plan = []
    for key, (attr, how, default, arg) in rules.items():
        extra = dict(arg.__members__) if how == "enum" else None
        plan.append((key, how, default, arg, extra, _slot_setter(cls, attr)))
    get = _BUILDERS.get
    items = dict.items
    uses = 0

    def build(b: _Builder, body: dict) -> ast.Node:
        nonlocal uses
        uses += 1
        if uses > _GENERATE_AFTER:  # (not a reference to ``build``: no reference cycle)
            return (_GENERATED.get(kind) or _compile(kind))(b, body)
        o: ast.Node = _NEW(cls)
        p = body.pop
        for key, how, default, arg, members, store in plan:
            if how == "plain":
                store(o, p(key, default))
                continue
            v = p(key, None)
            if how == "node":
                if v:
                    ((k, y),) = v.items()
                    store(o, (get(k) or _first_builder(k))(b, y))
                else:
                    store(o, None if v is None else b.wrapped(v))
            elif how == "list":
                store(
                    o,
                    None
                    if v is None
                    else tuple([(get(k) or _first_builder(k))(b, y) for ((k, y),) in map(items, v)])
                    if all(v)
                    else tuple([b.wrapped(i) for i in v]),
                )
            elif how == "loc":
                store(o, b.zero if v is None else v if 0 <= v <= b.last else b.loc(v))
            elif how == "enum":
                store(o, arg(0) if v is None else members[v])  # type: ignore[index]
            elif how == "typed":
                if v is None:
                    store(o, b.absent(kind, key) if arg == "CreateStmt" else None)
                else:
                    store(o, (get(arg) or _first_builder(arg))(b, v))
            elif how == "float":
                store(o, 0.0 if v is None else float(v))
            elif how == "set":
                store(o, None if v is None else set(v))
            else:  # a union pglast's parser fills in its own way
                raise _Unsupported(kind + "." + key)
        if body:
            raise _Unsupported(kind + " attribute")
        return o

    return build


def _compile(kind: str) -> Callable[[_Builder, dict], ast.Node]:
    """The builder of one kind: each attribute from the JSON value or the default.

    Attributes are stored through the class's slot descriptors (``__set__``: half the cost of
    ``object.__setattr__``, which looks the name up again each time), and the JSON keys are
    taken out of the body as they are read, so one leftover key means an attribute this
    builder has no rule for.
    """
    cls, rules = _rules(kind)
    names: dict[str, Any] = {
        "_NEW": _NEW,
        "_Unsupported": _Unsupported,
        "cls": cls,
        "G": _BUILDERS.get,
        "C": _first_builder,
        "I": dict.items,
    }
    lines = [
        "def build(b, body):",
        "    o = _NEW(cls)",
        "    p = body.pop",
    ]
    for number, (key, (attr, how, default, arg)) in enumerate(rules.items()):
        names[f"s{number}"] = _slot_setter(cls, attr)
        store = f"s{number}(o, "
        if how == "plain":
            lines.append(f"    {store}p({key!r}, {default!r}))")
            continue
        lines.append(f"    v = p({key!r}, None)")
        # a node is ``{"Kind": {...}}``; unwrapped here rather than by a call per node
        if how == "node":
            lines += [
                "    if v:",
                "        ((k, y),) = v.items()",
                f"        {store}(G(k) or C(k))(b, y))",
                "    else:",
                f"        {store}None if v is None else b.wrapped(v))",
            ]
            continue
        if how == "list":
            # a NULL item (``{}``, GROUP BY ()) and anything odd: ``b.wrapped`` says
            value = (
                "tuple([(G(k) or C(k))(b, y) for ((k, y),) in map(I, v)]) "
                "if all(v) else tuple([b.wrapped(i) for i in v])"
            )
            absent = "None"
        elif how == "loc":
            # ASCII text: the offset is the index (``_ascii_locations``) without a call
            value, absent = "v if 0 <= v <= b.last else b.loc(v)", "b.zero"
        elif how == "enum":
            names[f"e{number}"] = arg
            names[f"m{number}"] = dict(arg.__members__)  # by name, as ``arg[name]``
            value, absent = f"m{number}[v]", f"e{number}(0)"
        elif how == "typed":
            value, absent = f"(G({arg!r}) or C({arg!r}))(b, v)", "None"
            if arg == "CreateStmt":  # embedded (CREATE FOREIGN TABLE's base): never absent
                absent = f"b.absent({kind!r}, {key!r})"
        elif how == "float":
            value, absent = "float(v)", "0.0"
        elif how == "set":
            value, absent = "set(v)", "None"
        else:  # a union pglast's parser fills in its own way
            lines.append(f"    raise _Unsupported({kind!r} + '.' + {key!r})")
            continue
        lines.append(f"    {store}{absent} if v is None else {value})")
    lines += [
        "    if body:",
        f"        raise _Unsupported({kind!r} + ' attribute')",
        "    return o",
    ]
    exec(compile("\n".join(lines), f"<pgparse builder {kind}>", "exec"), names)  # noqa: S102
    _BUILDERS[kind] = _GENERATED[kind] = names["build"]
    return names["build"]


def _slot_setter(cls: type, attr: str) -> Callable[[Any, Any], None]:
    """The slot's own ``__set__`` (no validation, as ``object.__setattr__``), where it is one."""
    for klass in cls.__mro__:
        found = klass.__dict__.get(attr)
        if found is not None:
            if isinstance(found, MemberDescriptorType):
                return found.__set__
            break
    return lambda obj, value: _SET(obj, attr, value)


def _value(cls: type, attr: str, value: Any) -> ast.Node:
    obj: ast.Node = _NEW(cls)
    _SET(obj, attr, value)
    return obj


def _ascii_locations(text: str) -> Callable[[int], int | None]:
    """pglast's ``Displacements`` for ASCII text: the offset itself, None outside the text."""
    last = len(text) - 1
    return lambda offset: offset if 0 <= offset <= last else None


def _build(text: str, data: dict) -> tuple[ast.RawStmt, ...]:
    if text.isascii():
        builder = _Builder(_ascii_locations(text), len(text) - 1)
    else:
        builder = _Builder(pglast.parser.Displacements(text))
    return tuple(builder.raw_stmt(stmt) for stmt in data.get("stmts", ()))


def _decode(data: str) -> Any:
    """libpg_query's JSON as dicts, lists, strings and ints: ``json.loads``, then msgspec's
    decoder once a run has decoded 1 MiB.

    msgspec gives the same values at under half the cost (1,000-table history: 0.10 against
    0.23 CPU s for its 10 MB); importing it costs a few milliseconds that a small read (an
    Alembic history of a few revisions, whose start-up is measured) would not win back. What
    msgspec refuses where ``json.loads`` would not (a lone surrogate escape, a float out of
    range) raises its DecodeError, a ValueError: pglast's parser builds that tree.
    """
    fast = _FAST_DECODER[0]
    if fast is None:
        _FAST_DECODER[1] += len(data)
        if _FAST_DECODER[1] < _FAST_AFTER_CHARS:
            return json.loads(data)
        import msgspec

        fast = _FAST_DECODER[0] = msgspec.json.Decoder().decode
        _FAST_ENCODE[0] = msgspec.json.Encoder().encode  # (``frozen``'s, from now on)
    return fast(data)


_FAST_AFTER_CHARS = 1 << 20
_FAST_DECODER: list[Any] = [None, 0]  # msgspec's decode once chosen; characters decoded before
_FAST_ENCODE: list[Any] = [None]  # msgspec's encode, once its decoder is chosen


def expect_a_long_read() -> None:
    """The caller knows a long read is coming (``parse_ahead``: 256 KiB of SQL or more, some
    2 MB of JSON): msgspec's decoder from the first statement, not after the first MiB."""
    _FAST_DECODER[1] = max(_FAST_DECODER[1], _FAST_AFTER_CHARS)


# An empty string literal ('', E'', $$$$, $x$$x$): the JSON omits an empty char* attribute
# (COMMENT ON … IS '', LOCATION '') where pglast keeps '', so such text goes to pglast.
_MAY_HOLD_EMPTY_STRING = re.compile(r"''|\$(\w*)\$\$\1\$")


def parse_sql(text: str) -> tuple[ast.RawStmt, ...]:
    """``pglast.parse_sql``'s tree, built faster; ParseError ("stack depth limit exceeded")
    where pglast would crash."""
    parsed = parse_lazily(text)
    return parsed.tree() if isinstance(parsed, Parsed) else parsed


def may_hold_empty_string(text: str) -> bool:
    """Whether ``text`` may hold an empty string literal. False means no part of it does
    either (the pattern has no anchor), so a caller that parses a long text piece by piece
    searches it once (``parse_lazily``'s ``empty_strings``)."""
    return _MAY_HOLD_EMPTY_STRING.search(text) is not None


def parse_lazily(text: str, empty_strings: bool = True) -> Parsed | tuple[ast.RawStmt, ...]:
    """:func:`parse_sql`, its tree not built yet where it would be built from the JSON.

    The C parse and the JSON decode happen here (so a syntax error is raised here, as by
    ``parse_sql``); what pglast's parser decides (an empty string literal, JSON the decoder
    refuses, a short text PostgreSQL refused) comes back as pglast's tree. ``empty_strings``
    False: the caller knows ``text`` holds no empty string literal (``may_hold_empty_string``
    of a text it is part of), so it is not searched again.
    """
    data = parse_json(text, empty_strings)
    return from_json(text, data) if isinstance(data, str) else data


def parse_json(text: str, empty_strings: bool = True) -> str | tuple[ast.RawStmt, ...]:
    """:func:`parse_lazily`'s first step: libpg_query's JSON text of ``text`` (a syntax error
    raised here), or pglast's tree where pglast's parser decides. The JSON text is what a
    process that only parses hands over to the one that interprets (``parse_ahead``)."""
    try:
        data = pglast.parser.parse_sql_json(text)  # PostgreSQL's depth check
    except pglast.parser.ParseError:
        if len(text) <= DEPTH_CHECKED_CHARS:
            return pglast.parse_sql(text)  # pglast's verdict, as before: its error, or its tree
        raise
    if empty_strings and _MAY_HOLD_EMPTY_STRING.search(text):
        return pglast.parse_sql(text)
    return data


def from_json(text: str, data: str) -> Parsed | tuple[ast.RawStmt, ...]:
    """:func:`parse_lazily`'s second step, from :func:`parse_json`'s JSON text of ``text``."""
    try:
        return Parsed(text, _decode(data))
    except ValueError:  # msgspec's DecodeError
        return pglast.parse_sql(text)


class Parsed:
    """One text's statements as libpg_query's decoded JSON (dicts, lists, str, int).

    ``tree()`` builds pglast's tree from it; a reader that interprets the plain data itself
    (``sources.ddl.fast``) takes it instead (``take``) and may consume it as it goes (the
    builders take keys out of the dicts they read), so a tree asked for afterwards is parsed
    again from the text: the same tree, never one built from half-read data.
    """

    __slots__ = ("text", "data")

    def __init__(self, text: str, data: dict) -> None:
        self.text = text
        self.data: dict | None = data

    def empty(self) -> bool:
        """No statement at all (only comments): ``tree()`` is ``()``."""
        return self.data is not None and not self.data.get("stmts")

    def tree(self) -> tuple[ast.RawStmt, ...]:
        data, self.data = self.data, None
        if data is None:
            return parse_sql(self.text)
        try:
            return _build(self.text, data)
        except (_Unsupported, RecursionError, KeyError, ValueError, TypeError, AttributeError):
            return pglast.parse_sql(self.text)  # depth checked: safe for pglast's C recursion

    def take(self) -> tuple[str, dict] | None:
        """(node kind, its JSON body) of the one statement, or None (not one plain statement).

        Taken means consumed: ``tree()`` parses the text again from here on.
        """
        data, self.data = self.data, None
        stmts = data.get("stmts") if data is not None else None
        if not stmts or len(stmts) != 1:
            self.data = data
            return None
        raw = stmts[0]
        stmt = raw.get("stmt")
        if stmt.__class__ is not dict or len(stmt) != 1 or len(raw) > 3:
            self.data = data
            return None
        ((kind, body),) = stmt.items()
        return kind, body

    def builder(self, base: int = 0) -> _Builder:
        """A builder of this text's nodes (positions as pglast's tree has them). ``base``:
        the data's positions count from that offset of a longer ASCII text holding this one
        (a file parsed whole, ``sources.whole_parse``): each is counted from this text, as
        in the data of this text parsed alone (an offset outside it: none; omitted: 0)."""
        text = self.text
        if base:
            last = base + len(text) - 1
            builder = _Builder(lambda offset: offset - base if base <= offset <= last else None)
            builder.zero = 0
            return builder
        if text.isascii():
            return _Builder(_ascii_locations(text), len(text) - 1)
        return _Builder(pglast.parser.Displacements(text))


_DATA = Parsed.__dict__["data"]  # the slot itself, under Pending's property


class Pending(Parsed):
    """A statement another process parsed and read (``parse_ahead``): ``ahead`` holds what
    ``sources.ddl.fast.read_ahead`` made of it there, which most statements need instead of
    the data. The data is made only when something asks for it (the tree handler of a read
    the model refuses, a retry): decoded from ``json``, the JSON text that process sent, or,
    where it sent none (``json`` None: it read the statement), from the text parsed again
    here, which gives the very JSON text that process had (one parser, one text).

    Why the JSON is not sent with a read: the 1,000-table history's reads are 9,097
    statements whose 9.8 MB of JSON crossed the pipe (three quarters of its bytes) and was
    never decoded here; a refused read costs a parse here instead of a decode."""

    __slots__ = ("json", "ahead", "base")

    def __init__(self, text: str, json: str | None, ahead: tuple[str, Any], base: int = 0) -> None:
        self.text = text
        _DATA.__set__(self, None)
        # True: no JSON sent, the text is parsed again when the data is asked for
        self.json: str | bool | None = True if json is None else json
        self.ahead: tuple[str, Any] | None = ahead
        # where the positions in ``ahead``'s data count from (its file parsed whole:
        # ``sources.whole_parse``), for the builder of its nodes (``builder(base)``)
        self.base = base

    @property
    def data(self) -> dict | None:
        json = self.json
        if json is not None:
            self.json = None
            # msgspec's DecodeError (a ValueError), a ParseError (the other process parsed
            # this very text): data stays None, ``tree()`` parses the text with pglast
            with contextlib.suppress(ValueError, pglast.parser.ParseError):
                if not isinstance(json, str):  # True: none sent, the text parsed again
                    json = pglast.parser.parse_sql_json(self.text)  # (parse_json's first step)
                _DATA.__set__(self, _decode(json))
        return _DATA.__get__(self)

    @data.setter
    def data(self, value: dict | None) -> None:
        self.json = None
        _DATA.__set__(self, value)


# Errors a builder raises for JSON it has no rule for (pglast's parser decides then).
BUILD_ERRORS = (_Unsupported, RecursionError, KeyError, ValueError, TypeError, AttributeError)


def build_node(builder: _Builder, value: Any) -> Any:
    """The pglast node of one ``{"Kind": {...}}`` value (consumes it); BUILD_ERRORS if odd."""
    return builder.wrapped(value)


def frozen(value: Any) -> Hashable:
    """A hashable value equal for two JSON values exactly when they differ at most in their
    ``location`` keys (PostgreSQL's parse positions: no printer of one node reads them).

    Once msgspec decodes (a long read: the parsing child from its first statement), the
    value is msgspec's JSON of it with every ``"location":N`` taken out: the same classes
    at half the cost of walking it here (1,000-table history: 10,431 keys, 0.045 → 0.024
    CPU s in the child). The text is canonical (keys in libpg_query's fixed order, one
    spelling per value), and ``"location":`` followed by a digit is always that key (a
    quote inside a string is escaped). Otherwise, a dict is a tuple of (key, value) pairs
    in that order, a list a tuple behind a marker; strings, ints and booleans stand for
    themselves (a key never holds an int in one statement and a boolean in another). The
    two kinds of key never equal each other: a memo of both only misses more.
    """
    encode = _FAST_ENCODE[0]
    if encode is not None:
        with contextlib.suppress(TypeError, ValueError, OverflowError):  # not JSON: walked
            return _LOCATIONS.sub(b"", encode(value))
    return _frozen(value)


_LOCATIONS = re.compile(rb'"location":-?[0-9]+')


def _frozen(value: Any) -> Hashable:
    kind = value.__class__
    if kind is dict:
        return tuple([(k, _frozen(v)) for k, v in value.items() if k != "location"])
    if kind is list:
        return (_LIST, *[_frozen(v) for v in value])
    return value


_LIST = object()


# -- printing ------------------------------------------------------------------------

_WALKER = Visitor()  # only its traversal is used: one instance serves every call


def deparse(node: ast.Node) -> str:
    """``RawStream()(node)``, the same text, printed once per distinct tree in a run.

    A history repeats its expressions (the same default, CHECK or policy on a thousand
    tables): each distinct tree is printed once, found again by its shape (:func:`_shape`:
    every attribute but the source positions, which no printer of a single node reads).
    """
    try:
        key = _shape(node)
    except (_Unkeyable, RecursionError, AttributeError):  # AttributeError: a slot never set
        return _print(node)
    text = _PRINTED.get(key)
    if text is None:
        text = _print(node)
        if len(_PRINTED) >= _PRINTED_MAX:
            _PRINTED.clear()  # bounded: a dump's worth of distinct expressions stays small
        _PRINTED[key] = text
    return text


def _print(node: ast.Node) -> str:
    """RawStream's text of ``node`` without ``RawStream.__call__``'s per-call set-up.

    pglast's printers read each node's ``ancestors``, which ``RawStream.__call__`` fills
    through ``populate_ancestors``: that builds a Visitor class and lists its methods with
    ``inspect.getmembers`` on every call, half the time of printing a column default. The
    same breadth-first traversal (pglast's own ``Visitor.iterate``, so a node shared by two
    parents gets the same ancestors as there) fills them here, then the node is printed
    as ``RawStream`` prints a single node.

    The ancestors are taken off again once the text is made: each one refers to the parent
    node, so they make the tree a reference cycle, garbage only the cyclic collector would
    find, and static reading runs with the collector paused (``sources.ddl.interpreter``).
    """
    walk = _WALKER.iterate((node,))
    filled: dict[int, ast.Node] = {}  # by identity: a node may hang under two parents
    try:
        ancestors, current = next(walk)
        while True:
            current.ancestors = ancestors
            filled[id(current)] = current
            ancestors, current = walk.send(Continue)
    except StopIteration:
        pass
    stream = RawStream()
    try:
        stream.print_node(node)
        return stream.getvalue()
    finally:
        for current in filled.values():
            del current.ancestors


# Printed text by tree shape, for this process; cleared when full.
_PRINTED: dict[Hashable, str] = {}
_PRINTED_MAX = 16384


class _Unkeyable(Exception):
    """A value :func:`_shape` has no rule for: that tree is printed without the memo."""


_SCALARS = (bool, int, float)


def _shape(value: Any) -> Hashable:
    """A hashable value equal for two trees exactly when they differ at most in positions.

    Node: (class, shape of each non-position attribute); tuple: (tuple, shapes); str and
    None: themselves; other scalars: (type, value), so that 1, True and 1.0 stay apart.
    """
    kind = type(value)
    if kind is str or value is None:
        return value
    shaper = _SHAPERS.get(kind)
    if shaper is None:
        shaper = _shaper(kind, value)
    return shaper(value)


def _shape_tuple(value: tuple) -> Hashable:
    return (tuple, *[_shape(item) for item in value])


# The shape function of each type met so far (generated for node classes: ``_shaper``).
_SHAPERS: dict[type, Callable[[Any], Hashable]] = {tuple: _shape_tuple}


def _shaper(kind: type, value: Any) -> Callable[[Any], Hashable]:
    """The shape function of ``kind``: (type, value) for a scalar, one generated function per
    node class that reads each attribute but the positions (ParseLoc) once, a str or None
    in place, without a call (a call per attribute was most of the cost of a memo look-up).
    An attribute never set raises AttributeError: that tree is printed without the memo.
    """
    if kind in _SCALARS or isinstance(value, Enum):
        _SHAPERS[kind] = shaper = lambda scalar: (kind, scalar)
        return shaper
    info = getattr(kind, "__slots__", None)
    if not (isinstance(value, ast.Node) and isinstance(info, dict)):
        raise _Unkeyable(kind)
    parts = [
        f"(x if (x := v.{name}) is None or x.__class__ is str else S(x))"
        for name, slot in info.items()
        if slot.c_type != "ParseLoc"
    ]
    names: dict[str, Any] = {"S": _shape, "cls": kind}
    source = f"def shape(v):\n    return (cls, {', '.join([*parts, ''])})"
    exec(compile(source, f"<pgparse shape {kind.__name__}>", "exec"), names)  # noqa: S102
    _SHAPERS[kind] = names["shape"]
    return names["shape"]


# -- copying -------------------------------------------------------------------------


def copy_tree(node: Any) -> Any:
    """``copy.deepcopy(node)`` of a pglast tree, the same copy made several times faster.

    ``deepcopy`` rebuilds each node through ``__reduce_ex__`` and pglast's validating
    ``__setattr__`` (a 1,000-table history's 150 view queries: a tenth of a static read's
    interpretation, ``viewdef``). Here one generated function per node class copies each
    attribute that is set through the slot's own setter; tuples are rebuilt, strings,
    numbers, booleans, None and enum members kept (as ``deepcopy`` keeps them), anything
    else goes to ``deepcopy``. Like ``deepcopy``, a node met twice is copied once (the
    ``memo`` by identity), so the copy shares what the original shares.
    """
    return _copy(node, {})


def _copy(value: Any, memo: dict[int, Any]) -> Any:
    kind = value.__class__
    if kind is str or value is None or kind in _SCALARS:
        return value
    if kind is tuple:
        return tuple([_copy(item, memo) for item in value])
    copier = _COPIERS.get(kind)
    if copier is None:
        copier = _copier(kind, value)
    return copier(value, memo)


def _copier(kind: type, value: Any) -> Callable[[Any, dict[int, Any]], Any]:
    """The copy function of ``kind`` (generated for node classes: ``copy_tree``)."""
    if isinstance(value, Enum):
        _COPIERS[kind] = copier = lambda member, memo: member
        return copier
    info = getattr(kind, "__slots__", None)
    if not (isinstance(value, ast.Node) and isinstance(info, dict)):
        return lambda other, memo: copy.deepcopy(other, memo)  # not kept: rare
    names: dict[str, Any] = {"_NEW": _NEW, "C": _copy, "cls": kind, "U": _UNSET}
    lines = [
        "def copy(v, memo):",
        "    o = memo.get(id(v))",
        "    if o is not None:",
        "        return o",
        "    o = memo[id(v)] = _NEW(cls)",
    ]
    for number, name in enumerate(["ancestors", *info]):
        names[f"s{number}"] = _slot_setter(kind, name)
        lines += [
            f"    x = getattr(v, {name!r}, U)",
            "    if x is not U:",
            f"        s{number}(o, x if x is None or x.__class__ is str else C(x, memo))",
        ]
    lines.append("    return o")
    exec(compile("\n".join(lines), f"<pgparse copy {kind.__name__}>", "exec"), names)  # noqa: S102
    _COPIERS[kind] = names["copy"]
    return names["copy"]


_UNSET = object()
_COPIERS: dict[type, Callable[[Any, dict[int, Any]], Any]] = {}
