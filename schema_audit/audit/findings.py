"""Findings: what the audit says about each requirement, in the JSON-contract shape.

A :class:`Finding` is immutable: waivers, inline suppressions, deferrals and the
baseline make a new one with :func:`dataclasses.replace`, so a finding a roll-up or
an earlier stage holds never changes under it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import MISSING, dataclass, field, fields, make_dataclass, replace
from types import SimpleNamespace
from typing import Any

from schema_audit.enums import Severity, Status

# The enums' values, for code that iterates or ranks plain strings (schema_audit.enums defines them).
STATUSES = tuple(s.value for s in Status)
SEVERITIES = tuple(s.value for s in Severity)
SEVERITY_RANK = {s.value: s.rank for s in Severity}  # blocking=5 … info=1
STATUS_RANK = {s.value: s.rank for s in Status}  # worst first when sorting findings for people


def show(value: Any) -> str:
    """A diff value for people: SQL-ish words, never a Python repr (None, True, ['a'])."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return "(" + ", ".join(show(v) for v in items) + ")"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {show(v)}" for k, v in value.items())
    return str(value)


@dataclass(frozen=True, slots=True)
class Diff:
    """One property of an object that differs from what the spec expects: the finding's message
    prints it (``describe_diffs``)."""

    property: str
    expected: Any
    actual: Any


def describe_diffs(diffs: Iterable[Diff], show: Callable[[Any], str] = format) -> str:
    """The one printer of "property differs" details: ``p is ACTUAL, expected EXPECTED``
    joined by "; ". ``show`` renders a value (``format`` by default, i.e. as an f-string
    does; a kind passes its own for quoting lists or scalars)."""
    return "; ".join(
        f"{d.property} is {show(d.actual)}, expected {show(d.expected)}" for d in diffs
    )


@dataclass(frozen=True, slots=True)
class Candidate:
    """Something that exists instead of what the spec asked for, and why we think so."""

    kind: str
    name: str
    why: str
    ddl: str | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a finding's object was seen: a catalog, a migration file and line, a probe or the spec
    itself, with the SQL when known."""

    source: str  # catalog | migration | probe | spec
    file: str | None = None
    line: int | None = None
    revision: str | None = None
    sql: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """What the audit says about one requirement (or rule hit); never changed once made.

    The list-valued fields accept any sequence and are stored as tuples.
    """

    id: str
    kind: str
    table: str | None
    name: str | None
    status: str
    severity: str
    message: str
    diffs: Sequence[Diff] = ()
    instead: Sequence[Candidate] = ()
    evidence: Sequence[Evidence] = ()
    questions: Sequence[str] = ()
    category: str | None = None
    impact: str | None = None
    spec_location: str | None = None
    ddl: str | None = None  # CREATE statement of what exists (for the report)
    # (function, *arguments) that work out message, evidence and ddl when one is first read,
    # for a finding made by lazy_finding (None once they are set: every other finding)
    _fill: Any = field(default=None, init=False, repr=False, compare=False)
    # the requirement whose ``location`` is spec_location, for a finding made from one
    # while that text was not made yet (None once it is set: every other finding)
    _place: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("diffs", "instead", "evidence", "questions"):
            value = getattr(self, name)
            if type(value) is not tuple:
                object.__setattr__(self, name, tuple(value))

    def _unset(self, name: str) -> Any:
        """Reached only for a slot never set (see :class:`_Made`): the message, evidence and
        DDL of a finding made by :func:`lazy_finding`, worked out now from what it was made
        with and stored, and the spec_location of one made from a requirement
        (:func:`finding_for` too), read from it now (the finding is the same from then on:
        equal, same hash, same JSON)."""
        if name == "spec_location" and self._place is not None:
            location = self._place.location
            object.__setattr__(self, "spec_location", location)
            object.__setattr__(self, "_place", None)
            return location
        fill = self._fill if name in _LAZY else None
        if fill is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        message, evidence, ddl = fill[0](*fill[1:])
        object.__setattr__(self, "message", message)
        object.__setattr__(self, "evidence", tuple(evidence) if evidence else ())
        object.__setattr__(self, "ddl", ddl)
        object.__setattr__(self, "_fill", None)
        return getattr(self, name)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "table": self.table,
            "name": self.name,
            "status": self.status,
            "severity": self.severity,
            "message": self.message,
            "diffs": [
                {"property": d.property, "expected": _plain(d.expected), "actual": _plain(d.actual)}
                for d in self.diffs
            ],
            "instead": [_present(c, _CANDIDATE_FIELDS) for c in self.instead],
            "evidence": [_present(e, _EVIDENCE_FIELDS) for e in self.evidence],
            "questions": list(self.questions),
            "category": self.category,
            "impact": self.impact,
            "spec_location": self.spec_location,
            "ddl": self.ddl,
        }

    def with_evidence(self, extra: Iterable[Evidence], **changes: Any) -> Finding:
        """This finding with ``extra`` evidence appended (and any other field changed)."""
        changes["evidence"] = (*self.evidence, *extra)
        if not changes.keys() <= _FIELDS.keys():
            return replace(self, **changes)  # an unknown field: replace() says which
        # what replace() makes, without the frozen __init__ (every waived finding comes here):
        # the fields read in one call, the changed ones put in their places
        values = list(_field_values(self))
        for name, value in changes.items():
            values[_FIELD_INDEX[name]] = value
        for i in _LISTED:
            if type(values[i]) is not tuple:
                values[i] = tuple(values[i])
        return _new_finding(*values)


class _Made:
    """A field of Finding that may be left unset when the finding is made (message, evidence,
    ddl, spec_location): its slot, read as the slot is; an unset one is made now
    (:meth:`Finding._unset`).

    This was Finding's ``__getattr__``, which made every attribute of every finding slower
    to read: a class with ``__getattr__`` takes the generic lookup for each (67 against 22 ns
    for a slot), and an audit reads a finding's id, kind, table, status and name a dozen
    times (the engine, strict mode, waivers, the result, the verdict line: 47,000 findings
    at 1,000 tables). Only these four fields now go through Python to be read."""

    __slots__ = ("_slot", "_name")

    def __init__(self, slot: Any, name: str) -> None:
        self._slot = slot  # the slot's own member descriptor
        self._name = name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        try:
            return self._slot.__get__(obj, owner)
        except AttributeError:
            return obj._unset(self._name)

    def __set__(self, obj: Any, value: Any) -> None:
        self._slot.__set__(obj, value)

    def __delete__(self, obj: Any) -> None:
        self._slot.__delete__(obj)


for _name in ("message", "evidence", "ddl", "spec_location"):
    setattr(Finding, _name, _Made(Finding.__dict__[_name], _name))


_CANDIDATE_FIELDS = ("kind", "name", "why", "ddl")
_EVIDENCE_FIELDS = ("source", "file", "line", "revision", "sql", "note")


def _present(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The fields of ``obj`` that are set, in declaration order (the JSON omits the rest)."""
    return {n: _plain(v) for n in names if (v := getattr(obj, n)) is not None}


def _plain(value: Any) -> Any:
    """A deep copy of a diff value as JSON-ready data (what ``dataclasses.asdict`` gave)."""
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _sealer(cls: type) -> Callable[..., Any]:
    """A constructor of the frozen, slotted dataclass ``cls`` taking its fields positionally,
    for the values an audit makes by the hundred thousand (a finding per requirement).

    A frozen dataclass's ``__init__`` stores each field through ``object.__setattr__``
    (its own ``__setattr__`` refuses): 6-10 µs for a finding's 15 fields, against about
    1 µs for plain slot stores. So the object is built as an unfrozen twin with the same
    slots, in the same order, and then given ``cls`` as its class: the same object ``cls``
    would have made (equal, same hash, frozen from then on). Values are stored as given:
    no ``__post_init__`` runs (callers pass tuples where ``cls`` converts).
    """
    specs = [
        (f.name, f.type)
        if f.default is MISSING
        else (f.name, f.type, field(default=f.default, init=f.init))
        for f in fields(cls)
    ]
    # a docstring of its own: without one, ``dataclass`` works one out from the signature
    doc = {"__doc__": f"{cls.__name__} with setters, for its fill."}
    twin = make_dataclass(f"_Unsealed{cls.__name__}", specs, slots=True, eq=False, namespace=doc)

    def build(*values: Any) -> Any:
        obj = twin(*values)
        obj.__class__ = cls  # refused unless the slot layouts are the same (checked below)
        return obj

    return build


def _check_sealer(cls: type, build: Callable[..., Any]) -> Callable[..., Any]:
    """``build`` when it makes exactly what ``cls`` makes, else ``cls`` itself (a Python whose
    ``__class__`` assignment refuses the twin still audits, at the frozen ``__init__``'s pace)."""
    values = [(i,) for i, f in enumerate(fields(cls)) if f.init]
    try:
        made = build(*values)
    except TypeError:
        return cls
    return build if type(made) is cls and made == cls(*values) else cls


_new_finding = _check_sealer(Finding, _sealer(Finding))
new_finding = _new_finding  # Finding's fields positionally, list-valued ones as tuples
# Finding's fields in order -> whether it is stored as a tuple (__post_init__ converts them)
_FIELDS = {
    f.name: f.name in ("diffs", "instead", "evidence", "questions")
    for f in fields(Finding)
    if f.init
}
_FIELD_INDEX = {name: i for i, name in enumerate(_FIELDS)}
_LISTED = tuple(i for i, listed in enumerate(_FIELDS.values()) if listed)
_field_values = operator.attrgetter(*_FIELDS)  # a finding's fields in order, as a tuple
_LAZY = frozenset({"message", "evidence", "ddl"})  # what lazy_finding leaves to its fill
new_evidence = _check_sealer(Evidence, _sealer(Evidence))  # source, file, line, revision, sql, note


# Pickled by their fields, rebuilt by the constructors above: ``audit -q``'s judging child
# hands its kept findings back pickled (``audit/split``), and a frozen slotted dataclass's own
# pickling goes through ``dataclasses``' __getstate__/__setstate__, which walk ``fields()``
# in Python for every object at both ends (init's 1,000-table spec: 337 findings, four
# objects each, ≈ 7 ms on the critical path after the judging; the same objects either way).
def _rebuilt_finding(values: tuple[Any, ...]) -> Finding:
    return _new_finding(*values)


def _rebuilt_evidence(values: tuple[Any, ...]) -> Evidence:
    return new_evidence(*values)


def _rebuilt_diff(values: tuple[Any, ...]) -> Diff:
    return Diff(*values)


def _rebuilt_candidate(values: tuple[Any, ...]) -> Candidate:
    return Candidate(*values)


_evidence_values = operator.attrgetter(*_EVIDENCE_FIELDS)
_diff_values = operator.attrgetter("property", "expected", "actual")
_candidate_values = operator.attrgetter(*_CANDIDATE_FIELDS)


def _reduce_finding(self: Finding) -> tuple[Any, ...]:
    return _rebuilt_finding, (_field_values(self),)  # (a lazy one's fields made now)


def _reduce_evidence(self: Evidence) -> tuple[Any, ...]:
    return _rebuilt_evidence, (_evidence_values(self),)


def _reduce_diff(self: Diff) -> tuple[Any, ...]:
    return _rebuilt_diff, (_diff_values(self),)


def _reduce_candidate(self: Candidate) -> tuple[Any, ...]:
    return _rebuilt_candidate, (_candidate_values(self),)


Finding.__reduce__ = _reduce_finding  # type: ignore[method-assign,assignment]
Evidence.__reduce__ = _reduce_evidence  # type: ignore[method-assign,assignment]
Diff.__reduce__ = _reduce_diff  # type: ignore[method-assign,assignment]
Candidate.__reduce__ = _reduce_candidate  # type: ignore[method-assign,assignment]


def missing(prop: str = "exists") -> Diff:
    """The canonical diff of an object that should exist and does not."""
    return Diff(prop, True, False)


def sort_key(finding: Finding) -> tuple:
    return (STATUS_RANK[finding.status], -SEVERITY_RANK[finding.severity], finding.id)


def at_or_above(severity: str, threshold: str) -> bool:
    try:  # looked up: every FAIL of an audit is ranked against --fail-on
        return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold]
    except KeyError:
        return Severity(severity).at_or_above(threshold)  # not a severity: its ValueError


def finding_for(
    req: Any,
    status: str,
    message: str,
    *,
    diffs: Sequence[Diff] = (),
    evidence: Sequence[Evidence] = (),
    instead: Sequence[Candidate] = (),
    ddl: str | None = None,
    name: str | None = None,
) -> Finding:
    """A finding about a spec requirement, inheriting its id, severity, category, questions
    and place in the spec."""
    if not _LAZY_WORKS:
        return _new_finding(  # Finding's fields in order, list-valued ones as tuples
            req.id,
            req.kind,
            req.table,
            name if name is not None else (req.name or req.table),
            status,
            req.severity,
            message,
            tuple(diffs) if diffs else (),
            tuple(instead) if instead else (),
            tuple(evidence) if evidence else (),
            tuple(req.questions) if req.questions else (),
            req.category,
            req.impact,
            req.location,
            ddl,
        )
    obj = _UnsetTwin(req, status, name)
    obj.message = message
    obj.diffs = tuple(diffs) if diffs else ()
    obj.instead = tuple(instead) if instead else ()
    obj.evidence = tuple(evidence) if evidence else ()
    obj.ddl = ddl
    obj._fill = None
    obj.__class__ = Finding  # type: ignore[assignment]  # the same slots in the same order
    return obj  # type: ignore[return-value]


class _UnsetTwin:
    """Finding's slots, in its order, filled straight from the requirement; the caller sets
    message, evidence, ddl and _fill (or leaves the three unset for _fill to make). The
    spec_location of a requirement whose place is packed (spec.blockread's, every
    requirement of init's spec) is left unset too, read from the requirement when asked:
    a slot never stored reads through Finding.__getattr__ (one finding per requirement:
    220,000 at 5,000 tables, and ``-q`` reads none of these)."""

    __slots__ = tuple(f.name for f in fields(Finding))
    # what callers store (the rest is stored below)
    message: str
    diffs: tuple[Diff, ...]
    instead: tuple[Candidate, ...]
    evidence: tuple[Evidence, ...]
    ddl: str | None
    _fill: Any

    def __init__(self, req: Any, status: str, name: str | None) -> None:
        self.id = req.id
        self.kind = req.kind
        self.table = req.table
        self.name = name if name is not None else (req.name or req.table)
        self.status = status
        self.severity = req.severity
        self.diffs = ()
        self.instead = ()
        questions = req.questions
        self.questions = tuple(questions) if questions else ()
        self.category = req.category
        self.impact = req.impact
        at = req.at
        if type(at) is int:
            self._place = req
        else:
            self.spec_location = at
            self._place = None


def _unset_finding(req: Any, status: str, name: str | None, fill: tuple) -> Finding:
    obj = _UnsetTwin(req, status, name)
    obj._fill = fill
    obj.__class__ = Finding  # type: ignore[assignment]  # the same slots in the same order
    return obj  # type: ignore[return-value]


def _lazy_works() -> bool:
    """Whether :func:`_unset_finding` makes a Finding whose three fields and spec_location
    fill as they should (else :func:`lazy_finding` fills them at once and
    :func:`finding_for` makes every field at once)."""
    plain = Finding("i", "k", "t", "t", "S", "s", "m", (), (), (), ("q",), "c", "p", "f:2:5", "d")
    for at in ((1 << 32) | 4, "f:2:5"):
        req = SimpleNamespace(
            id="i", kind="k", table="t", name=None, severity="s", questions=["q"],
            category="c", impact="p", at=at, location="f:2:5",
        )  # fmt: skip
        try:
            made = _unset_finding(req, "S", None, (lambda: ("m", (), "d"),))
        except TypeError:
            return False
        if not (type(made) is Finding and made == plain and made._fill is None):
            return False
        if made._place is not None or made.spec_location != "f:2:5":
            return False
    return True


_LAZY_WORKS = _lazy_works()


# Finding's fields but the three a lazy finding leaves to its fill, in order
_SET = tuple(
    f.name for f in fields(Finding) if f.init and f.name not in ("message", "evidence", "ddl")
)
_set_values = operator.attrgetter(*_SET)


def unfilled(finding: Finding) -> tuple[tuple[Any, ...], tuple[Any, ...]] | None:
    """(its fields but message, evidence and DDL, in order; its fill) for a finding made by
    :func:`lazy_finding` whose three are not worked out yet (its spec_location is read
    now), else None: :func:`refilled` makes the same finding again from them."""
    fill = finding._fill
    if fill is None:
        return None
    return _set_values(finding), fill


def refilled(values: tuple[Any, ...], fill: tuple[Any, ...]) -> Finding:
    """The finding :func:`unfilled` took apart: ``values`` set, message, evidence and DDL
    left to ``fill`` (``(function, *arguments)``), worked out when first read, as
    :func:`lazy_finding` leaves them. ``audit/split``'s child hands such a finding over
    unworked (``fill``'s arguments are objects both processes hold)."""
    obj = _UnsetTwin.__new__(_UnsetTwin)
    for name, value in zip(_SET, values, strict=True):
        setattr(obj, name, value)
    obj._fill = fill
    obj._place = None
    obj.__class__ = Finding  # type: ignore[assignment]  # the same slots in the same order
    return obj  # type: ignore[return-value]


def lazy_finding(
    req: Any,
    status: str,
    fill: Callable[..., tuple[str, Sequence[Evidence], str | None]],
    *args: Any,
    name: str | None = None,
) -> Finding:
    """:func:`finding_for` whose message, evidence and DDL are ``fill(*args)``, worked out
    when something first reads one of them. A PASS of init's spec is one of hundreds of
    thousands: ``-q`` and the exit code read none of the three, every report reads them all
    (the same text either way). ``fill`` must depend only on what the audit does not change
    (the requirement, the model)."""
    if not _LAZY_WORKS:
        message, evidence, ddl = fill(*args)
        return finding_for(req, status, message, evidence=evidence, ddl=ddl, name=name)
    return _unset_finding(req, status, name, (fill, *args))


def matched_by_shape(
    req: Any,
    *,
    kind: str,
    label: str,
    found: str,
    same: str,
    why: str,
    ddl: str,
    evidence: Sequence[Evidence],
    rename: bool,
) -> Finding:
    """A requirement met by an object of the required shape, found under the name ``found``.

    PASS when the spec named no object; PARTIAL when it named another one: the name
    differs, and the object that exists is offered instead (``same`` says how it matches,
    ``why`` is the candidate's reason; ``rename`` names the finding after it).
    """
    if req.name:
        return finding_for(
            req,
            Status.PARTIAL,
            f"{label} does not exist{same} (name differs)",
            diffs=[Diff("name", req.name, found)],
            evidence=evidence,
            ddl=ddl,
            name=found if rename else None,
            instead=[Candidate(kind, found, why, ddl)],
        )
    return finding_for(
        req, Status.PASS, f"{label} exists as {found}", evidence=evidence, ddl=ddl, name=found
    )
