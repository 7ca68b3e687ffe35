"""What every plain-data reader of ``sources.ddl.fast`` and ``fast_constraints`` asks of
libpg_query's decoded JSON: its keys checked against the ones a reader knows (any other
key: not read here, ``_NotHere``), string lists, a plain RangeVar, an expression's printed
text and its facts (numeric literals, the columns it names), each memoised by the
expression's location-free shape (a history repeats them on every table).

A module of its own so that the constraint readers (``fast_constraints``) live apart from
the statement readers (``fast``, which imports them) with no circular import. The
underscored names are the fast readers' own: nothing outside them uses these.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import TYPE_CHECKING, Any

from schema_audit.pgparse import Parsed, build_node, deparse, frozen

if TYPE_CHECKING:
    from schema_audit.pgparse import _Builder


class _NotHere(Exception):
    """A shape the plain-data readers do not read: the statement goes to its tree handler."""


class _Lazy:
    """The statement's node builder, made on first use (most statements need none); ``base``:
    where the data's positions count from (``Parsed.builder``)."""

    __slots__ = ("parsed", "builder", "base")

    def __init__(self, parsed: Parsed, base: int = 0) -> None:
        self.parsed = parsed
        self.builder: _Builder | None = None
        self.base = base

    def node(self, value: Any) -> Any:
        if self.builder is None:
            self.builder = self.parsed.builder(self.base)
        return build_node(self.builder, value)


def _check(body: dict, known: frozenset[str]) -> None:
    if not known.issuperset(body):
        raise _NotHere


def _strings(values: Any) -> list[str]:
    """``[{"String": {"sval": …}}, …]`` as strings; anything else is not read here."""
    out = []
    for value in values:
        if value.__class__ is not dict or len(value) != 1:
            raise _NotHere
        string = value.get("String")
        # exactly the one key "sval" (two sets a name cost more than the rest of the loop)
        if string.__class__ is not dict or len(string) != 1 or "sval" not in string:
            raise _NotHere
        out.append(string["sval"])
    return out


def _text(value: dict, nodes: _Lazy, key: Hashable | None = None) -> str | None:
    """pglast's printed text of one expression, by its location-free shape (memo; ``key``:
    that shape, ``frozen(value)``, when the caller has it)."""
    if key is None:
        key = frozen(value)
    text = _PRINTED.get(key)
    if text is None:
        text = deparse(nodes.node(value))
        if len(_PRINTED) >= _MEMO_MAX:
            _PRINTED.clear()
        _PRINTED[key] = text
    return text


_PRINTED: dict[Hashable, str | None] = {}
_MEMO_MAX = 16384


def _relation(rv: Any) -> tuple[str | None, str]:
    """(schemaname, relname) of a plain RangeVar (a permanent relation, no catalog, no alias)."""
    if rv.__class__ is not dict:
        raise _NotHere
    _check(rv, _RANGE_VAR_KEYS)
    if rv.get("relpersistence") != "p" or rv.get("inh") is not True:
        raise _NotHere
    return rv.get("schemaname"), rv["relname"]


_RANGE_VAR_KEYS = frozenset({"schemaname", "relname", "inh", "relpersistence", "location"})


# a cast to one of these makes an integer it meets promoted (to numeric, double precision)
# (citext: a cast to it meets citext's own operators, which the tree handler qualifies)
_PROMOTING_TYPES = ("numeric", "decimal", "float8", "float4", "interval", "citext")


def _numeric(value: Any) -> bool:
    """Whether an expression holds a numeric literal or a cast to numeric (float, interval,
    citext): an integer column meeting one is stored promoted (``implicit``), which only the
    tree handler adds (it knows the columns' types)."""
    if value.__class__ is dict:
        if "fval" in value or value.get("sval") in _PROMOTING_TYPES:
            return True
        return any(_numeric(item) for item in value.values())
    if value.__class__ is list:
        return any(_numeric(item) for item in value)
    return False


# (shape key, holds a numeric literal or cast, the column names it reads, an operator meets
# an untyped string literal) of an expression
_Facts = tuple[Hashable, bool, tuple[str, ...], bool]


def _facts(value: Any) -> _Facts | None:
    """What a policy's reader asks of an expression, found by one walk (its location-free
    shape, ``frozen``) where the same expression was met before: a history repeats its
    policy expressions on every table, and each question was a walk of its own."""
    if value is None:
        return None
    key = frozen(value)
    found = _FACTS.get(key)
    if found is None:
        found = (_numeric(value), tuple(_column_names(value)), _meets_untyped(value))
        if len(_FACTS) >= _MEMO_MAX:
            _FACTS.clear()
        _FACTS[key] = found
    return key, *found


_FACTS: dict[Hashable, tuple[bool, tuple[str, ...], bool]] = {}


def _meets_untyped(value: Any) -> bool:
    """Whether an operator (a comparison, BETWEEN, IN) has an untyped string literal for an
    operand: PostgreSQL stores it cast to the other operand's type (``n > '5'``: ``n > 5``),
    which the tree handler adds where it knows the column's (``implicit._literal_type``)."""
    if value.__class__ is dict:
        expr = value.get("A_Expr")
        if expr.__class__ is dict:
            right = expr.get("rexpr")
            operands = [expr.get("lexpr"), *(right if right.__class__ is list else [right])]
            if any(_untyped_string(o) for o in operands):
                return True
        return any(_meets_untyped(item) for item in value.values())
    if value.__class__ is list:
        return any(_meets_untyped(item) for item in value)
    return False


def _untyped_string(value: Any) -> bool:
    const = value.get("A_Const") if value.__class__ is dict else None
    return const.__class__ is dict and "sval" in const


def _column_names(value: Any) -> Iterator[str]:
    """The last name of each column reference in plain parser data."""
    if value.__class__ is dict:
        ref = value.get("ColumnRef")
        if ref.__class__ is dict:
            fields = ref.get("fields") or ()
            last = fields[-1] if fields else None
            if last.__class__ is dict and "String" in last:
                yield last["String"].get("sval", "")
            return
        for item in value.values():
            yield from _column_names(item)
    elif value.__class__ is list:
        for item in value:
            yield from _column_names(item)
