"""What a loaded spec looks like to the audit: a flat, ordered list of requirements.

Nesting in the YAML (a table holds columns, indexes, policies …) is for the
writer; the audit wants one requirement per checkable fact, each with a stable
id, an inherited severity and category, and the position it came from so a
finding can point back at the spec line that asked for it.
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Categories the tool itself files findings under, when the spec does not name them.
BUILTIN_CATEGORIES = {"Rules": "Built-in rule pack", "Migrations": "Migration history"}


@dataclass(slots=True)
class Requirement:
    """One thing the spec requires of the schema (a table, a column, an index …), with where the
    spec says it."""

    id: str
    kind: str  # table, column, primary_key, unique, check, foreign_key, index, rls, policy, …
    schema: str
    table: str | None  # table or view the requirement is about (unqualified)
    name: str | None  # the object's name when the spec gives one
    severity: str
    category: str | None
    props: dict[str, Any]  # the validated YAML mapping of this requirement
    # where it is in the spec: its ``file:line:column`` text, or spec.yamlpos's packed
    # 0-based line and column in ``file`` (see :attr:`location`)
    at: str | int
    impact: str | None = None
    description: str | None = None
    parent: str | None = None  # id of the table/view requirement it belongs to
    questions: list[str] = field(default_factory=list)
    file: str = ""  # the spec's path and a colon, when ``at`` is packed

    @property
    def location(self) -> str:
        """``file:line:column`` of the requirement in the spec (1-based), made when read: a
        5,000-table spec has 220,000 requirements and a quiet audit reads few of these
        (formatting each as it was loaded cost 0.15-0.25 CPU s)."""
        return place_text(self.at, self.file)


@dataclass(slots=True)
class Question:
    """A question of the spec's checklist and the requirements whose patterns answer it."""

    id: str
    category: str | None
    title: str
    question: str
    patterns: list[str]
    note: str | None
    location: str
    requirement_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ExitGate:
    """An exit criterion of the spec and the requirements it needs to pass."""

    criterion: str
    patterns: list[str]
    location: str
    requirement_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Waiver:
    """A spec waiver: a pattern of findings accepted, why, by whom and until when."""

    pattern: str
    reason: str
    # where it is in the spec, as :attr:`Requirement.at` (see :attr:`location`)
    at: str | int
    owner: str | None = None
    expires: str | None = None  # YYYY-MM-DD
    file: str = ""  # the spec's path and a colon, when ``at`` is packed

    @property
    def location(self) -> str:
        """``file:line:column`` of the waiver in the spec (1-based), made when read (init
        writes a waiver per rule finding present: 2,902 at 1,000 tables)."""
        return place_text(self.at, self.file)


@dataclass(slots=True)
class Selector:
    """A ``match:`` entry: which tables (``select``) get which requirements (``templates``).

    Templates are requirements flattened from the ``require:`` block with the schema and
    table left as slots; :func:`schema_audit.spec.selectors.expand` stamps them per table.
    """

    name: str
    select: dict[str, Any]
    templates: list[Requirement]
    location: str
    severity: str
    category: str | None = None


@dataclass(slots=True)
class Category:
    """A category findings are grouped under in the reports."""

    id: str
    title: str


@dataclass(slots=True)
class Spec:
    """A loaded spec: its metadata, requirements, waivers and checklist."""

    name: str
    path: str
    sha256: str
    phase: str | None = None
    date: str | None = None
    description: str | None = None
    default_schema: str = "public"
    settings: dict[str, Any] = field(default_factory=dict)
    rules: dict[str, Any] = field(default_factory=dict)  # the built-in rule pack's settings
    categories: list[Category] = field(default_factory=list)
    requirements: list[Requirement] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    exit_gates: list[ExitGate] = field(default_factory=list)
    waivers: list[Waiver] = field(default_factory=list)
    selectors: list[Selector] = field(default_factory=list)

    def requirement(self, rid: str) -> Requirement | None:
        for req in self.requirements:
            if req.id == rid:
                return req
        return None

    def category_title(self, cid: str | None) -> str:
        for cat in self.categories:
            if cat.id == cid:
                return cat.title
        return BUILTIN_CATEGORIES.get(cid or "", cid or "Uncategorised")


def place_text(at: str | int, file: str) -> str:
    """The ``file:line:column`` text of a requirement's ``at`` (as :class:`Requirement` holds
    it): spec.yamlpos's packed 0-based position in ``file`` (its path and a colon) worded
    as ``Located.where`` words it, or the text itself."""
    if type(at) is int:
        return f"{file}{(at >> 32) + 1}:{(at & _COLUMN) + 1}"
    return at  # type: ignore[return-value]


_COLUMN = (1 << 32) - 1  # spec.yamlpos.pack_mark's column bits


def match_ids(pattern: str, ids: list[str]) -> list[str]:
    """Requirement ids a question/gate pattern selects: an exact id, or a glob.

    ``tables.tenants`` is the table's existence only; ``tables.tenants.*``
    is everything required of it (``*`` crosses dots).

    Only ``*`` and ``?`` make a pattern a glob; ``[`` and ``]`` are always literal, because
    ids contain them (``rules.SEC007.public.f(a text[], b text[])``), and an id that equals
    the pattern is matched as written even when it contains ``*`` or ``?``.
    """
    exact = [i for i in ids if i == pattern]
    if exact or not any(ch in pattern for ch in "*?"):
        return exact
    glob = "".join(f"[{ch}]" if ch in "[]" else ch for ch in pattern)  # [ ] as themselves
    return [i for i in ids if fnmatch.fnmatchcase(i, glob)]


class IdIndex:
    """``ids`` prepared for many :func:`match_ids` calls with the same answers.

    ``init`` writes one waiver per finding present at init, so a large schema has thousands
    of exact-id patterns against tens of thousands of ids: scanning the list for each made
    the audit quadratic in tables (issue 19). An exact id is a dictionary lookup here; a glob
    still scans, in the list's order, as :func:`match_ids` does.
    """

    def __init__(self, ids: list[str], keyed: Mapping[str, object] | None = None) -> None:
        """``keyed``: a mapping the caller made with each of ``ids`` as a key (``apply_waivers``
        keeps each id's last position). When it has as many keys as there are ids, no id
        repeats, so each is there once and nothing needs counting (a second dictionary of
        235,000 ids at 5,000 tables: about 0.05 CPU s)."""
        self.ids = ids
        distinct = keyed is not None and len(keyed) == len(ids)
        self.distinct: Mapping[str, object] = keyed if keyed is not None and distinct else {}
        # counted in C (a Python loop was a third of the waivers' time at 5,000 tables)
        self.counts: dict[str, int] | None = None if distinct else Counter(ids)

    def match(self, pattern: str) -> list[str]:
        """Exactly ``match_ids(pattern, self.ids)``."""
        if self.counts is None:
            count = 1 if pattern in self.distinct else 0
        else:
            count = self.counts.get(pattern, 0)
        if count or not any(ch in pattern for ch in "*?"):
            return [pattern] * count
        return match_ids(pattern, self.ids)
