"""Which findings a statement the static reader could not apply may change: those become DEFERRED.

A finding depends on *facets* of the model (the foreign keys of ``public.projects``, RLS of
``public.t``, column ``legacy`` of ``public.t`` …). An unapplied statement carries the
*effects* still open at the end of the history (:mod:`schema_audit.sources.effects`): the
kinds of object it could change, on the objects it could name, minus what later plain
statements settled again. Where an open effect meets a facet, the static answer —
PASS, PARTIAL or FAIL alike — is not one PostgreSQL would necessarily agree with, so it
becomes DEFERRED with the statement as evidence. Spec findings and the rule pack use the
same test, so a rule never FAILs on an object whose spec finding is DEFERRED.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from schema_audit.audit.findings import Evidence, Finding
from schema_audit.ident import split_qualified
from schema_audit.model import Effect, SchemaModel, UnappliedStatement, qualify
from schema_audit.spec.model import Requirement


class Facet(NamedTuple):
    """Something a finding reads: a kind of object, on a target, by name (``*``: any);
    ``schemas``: only on targets in these schemas (a strict set's covered schemas: a trigger
    on Supabase's ``auth.users``, which the history does not create, cannot add a table to
    ``public``), None: in any. A named tuple, not a frozen dataclass: a static audit builds
    one to three a requirement (≈ 100,000 with init's 1,000-table spec), 0.3 µs against 0.5."""

    kind: str
    target: str = "*"
    name: str = "*"
    schemas: frozenset[str] | None = None


def in_schemas(req: Requirement) -> frozenset[str] | None:
    """A strict requirement's covered schemas, for its facets (None: not scoped)."""
    schemas = req.props.get("schemas")
    return frozenset(schemas) if schemas else None


def _schema_of(target: str) -> str | None:
    parts = split_qualified(target, fold=False)
    return parts[0] if parts and len(parts) == 2 else None


CONSTRAINT_INDEXES = ("index", "unique", "primary_key")

# Rule id -> kinds of object its verdict reads on its table (plus the column it names).
RULE_KINDS: dict[str, tuple[str, ...]] = {
    "SEC001": ("rls", "policy"),
    "SEC002": ("rls", "policy"),
    "SEC003": ("rls", "owner"),
    "SEC004": ("policy",),
    "SEC005": ("policy",),
    "SEC006": ("rls", "column"),
    "SEC007": ("function",),
    "SEC008": ("function", "privilege", "role"),
    "PERF001": ("foreign_key", *CONSTRAINT_INDEXES),
    "PERF002": CONSTRAINT_INDEXES,
    "SCH001": ("primary_key",),
    "PRIV001": ("column",),
}


# Effects on a table's own property that only a facet of that very kind reads: a facet of any
# kind (``exactly: [columns, …]``: the objects on the table) does not read them. A partition
# bound computed by an expression (``FROM (now())``) DEFERred every ``exactly.*`` finding of
# its partition though only the bound is unknown.
OWN_PROPERTY = ("partition_bound",)


def matches(effect: Effect, facet: Facet) -> bool:
    """Whether an open effect can change what ``facet`` reads."""
    if facet.kind == "*":
        kind_ok = effect.kind not in OWN_PROPERTY
    elif facet.kind == "exists":
        kind_ok = effect.kind == "*"
    else:
        kind_ok = effect.kind in ("*", facet.kind)
    if not kind_ok:
        return False
    if effect.target == "*":
        if facet.target != "*" and facet.target in effect.spared:
            return False
    elif facet.target not in ("*", effect.target):
        return False
    elif facet.schemas is not None and _schema_of(effect.target) not in (None, *facet.schemas):
        return False  # a target outside the covered schemas (one not schema.name: kept)
    return effect.name == "*" or facet.name == "*" or effect.name == facet.name


def _effects(stmt: UnappliedStatement) -> list[Effect]:
    """An unapplied statement's open effects (records from before effects existed: by target)."""
    if stmt.kind == "data":
        return []
    if stmt.effects:
        return stmt.effects
    if stmt.settled:
        return []  # every effect it had was settled again
    return [Effect("*", t) for t in stmt.may_affect] or (
        [Effect("*", "*")] if stmt.kind == "dynamic" else []
    )


def open_statements(model: SchemaModel, facets: list[Facet]) -> list[UnappliedStatement]:
    """Unapplied statements with an open effect on one of ``facets``, in history order."""
    if not facets:
        return []
    return _open_among(_digest(model.unapplied), facets)


# an unapplied statement with its open effects and the targets it may reach (None: any)
_Digested = tuple[UnappliedStatement, list[Effect], frozenset[str] | None]


def _digest(statements: list[UnappliedStatement]) -> list[_Digested]:
    """The statements with an open effect, in order, each with what it may reach: the
    runner's own table (sources/runner_tables) is no statement that could have made
    anything else, so only the facets that name that very table."""
    return [
        (stmt, effects, frozenset(stmt.may_affect) if stmt.kind == "runner" else None)
        for stmt in statements
        if (effects := _effects(stmt))
    ]


def _open_among(digested: list[_Digested], facets: list[Facet]) -> list[UnappliedStatement]:
    """The digested statements with an open effect on one of ``facets``."""
    found = []
    for stmt, effects, targets in digested:
        reach = facets if targets is None else [f for f in facets if f.target in targets]
        if reach and any(matches(e, f) for e in effects for f in reach):
            found.append(stmt)
    return found


def unapplied_evidence(stmt: UnappliedStatement, note: str) -> Evidence:
    """``stmt`` cited as evidence: where it stands, its SQL (cut at 2,000 characters) and
    ``note`` with its reason; one form for a deferral and for a FAIL's rolled-back maker."""
    return Evidence(
        source="migration",
        file=stmt.file,
        line=stmt.line,
        revision=stmt.revision,
        sql=stmt.sql[:2000],
        note=f"{note}: {stmt.reason}",
    )


def defer(finding: Finding, statements: list[UnappliedStatement], what: str) -> Finding:
    """``finding`` DEFERRED because of ``statements`` (each cited as evidence with its reason)."""
    if not statements or finding.status not in ("PASS", "FAIL", "PARTIAL"):
        return finding
    was = finding.status
    return finding.with_evidence(
        (unapplied_evidence(stmt, "not applied statically") for stmt in statements),
        status="DEFERRED",
        message=finding.message
        + f"; DEFERRED (static reading says {was}): {len(statements)} statement(s) the static "
        f"interpreter could not apply may change {what} (replay with --replay to settle it)",
    )


class Deferrals:
    """Each requirement's finding of one audit (``AuditContext.deferral``) DEFERRED when an
    unapplied statement may change what it reads, with the model's unapplied statements
    digested once (:func:`_digest`): their open effects, and the targets a runner's
    bookkeeping table reaches.

    Why: every static read of a runner's layout (flyway, diesel …) holds that table's
    statement, so each of a spec's requirements is asked (44,647 with init's 1,000-table
    spec). Asked through :func:`open_statements` that was 0.19 CPU s, some 40 % of the
    static audit's judging: the kind looked up and the statement's effects worked out per
    requirement, a facet list filtered and a generator per statement. Here a requirement's
    facets are asked only when some statement has an open effect, each statement's reach
    is one set test per facet, and the verdicts are :func:`open_statements`' own.

    When every open statement is a runner's table (:attr:`_only`: the targets they reach),
    a facet reaches one only when it names one of those tables; a requirement of a kind
    whose facets name only its own table or none (``Kind.facets_on_table``) is then
    reached only when its own table is one of them, so the facets of the requirements of
    every other table (all but a few of a spec's) are not worked out at all: judging init's
    1,000-table spec against its flyway history, the judging child's share 0.204 → 0.165
    CPU s and this process's 0.157 → 0.140 (in process, medians of 7).
    """

    __slots__ = ("_open", "_facets", "_only", "_on_table", "_reached")

    def __init__(self, model: SchemaModel) -> None:
        self._open = _digest(model.unapplied)
        self._facets: dict[str, Callable[[Requirement], list[Facet]] | None] = {}
        reach = [targets for _, _, targets in self._open]
        # the tables runner statements reach, when no other statement is open (None: some is)
        only = frozenset().union(*reach) if None not in reach else None  # type: ignore[arg-type]
        self._only = None if only is None or "*" in only else only
        self._on_table: dict[str, bool] = {}  # kind -> Kind.facets_on_table
        self._reached: dict[tuple[str, str | None], bool] = {}  # (schema, table) -> in _only

    def requirement(self, finding: Finding, req: Requirement) -> Finding:
        """``finding`` of ``req``, DEFERRED when a statement with an open effect on one of
        its facets (what its kind says it reads: schema_audit/kinds/) may change it."""
        if not self._open:
            return finding  # no statement with an open effect: none can match
        if self._only is not None:  # only runners' tables are open: is this one of them?
            on_table = self._on_table.get(req.kind)
            if on_table is None:
                on_table = self._kind_on_table(req.kind)
            if on_table:
                reached = self._reached.get((req.schema, req.table))
                if reached is None:
                    reached = self._reach_of(req)
                if not reached:
                    return finding
        facets = self._facets_of(req)
        statements = _open_among(self._open, facets)
        if not statements:
            return finding
        target = next((f.target for f in facets if f.target != "*"), "the schema")
        kinds = sorted({f.kind.replace("exists", "existence").replace("_", " ") for f in facets})
        return defer(finding, statements, f"{' / '.join(kinds)} of {target}")

    def _kind_on_table(self, kind_id: str) -> bool:
        """Whether every facet of a requirement of ``kind_id`` names its own table or no
        target (``Kind.facets_on_table``; an unregistered kind has none); once per kind."""
        from schema_audit.kinds import kind

        registered = kind(kind_id)
        on_table = self._on_table[kind_id] = registered is not None and registered.facets_on_table
        return on_table

    def _reach_of(self, req: Requirement) -> bool:
        """Whether the target of ``req``'s own-table facets (as the kinds make it) is a
        runner's table (:attr:`_only`); once per schema and table."""
        target = qualify(req.schema, req.table) if req.table else "*"
        only = self._only
        reached = self._reached[(req.schema, req.table)] = only is not None and target in only
        return reached

    def _facets_of(self, req: Requirement) -> list[Facet]:
        """What the finding of ``req`` reads from the model, as its kind says; the kind looked
        up once per kind."""
        try:
            facets = self._facets[req.kind]
        except KeyError:
            from schema_audit.kinds import kind

            registered = kind(req.kind)
            facets = self._facets[req.kind] = registered.facets if registered is not None else None
        return facets(req) if facets is not None else []


def defer_rule(
    finding: Finding, rule_id: str, target: str, column: str | None, model: SchemaModel
) -> Finding:
    """A rule FAIL on ``target`` whose evidence unapplied code may change: DEFERRED."""
    if finding.status != "FAIL":
        return finding
    facets = [
        Facet(kind, target, column if kind == "column" and column else "*")
        for kind in RULE_KINDS.get(rule_id, ("*",))
    ]
    statements = open_statements(model, facets)
    return defer(finding, statements, f"the evidence of {rule_id} on {target}")
