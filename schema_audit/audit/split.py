"""Judging shared with a forked child, for a result that keeps only what ``-q`` reads.

Why: once the server has answered and the spec is loaded, ``audit --dsn -q`` judged every
requirement (≈ 45,000 with init's 1,000-table spec: 0.22 CPU s), ran the rule pack and
applied the waivers on one core while the second sat idle. Here a child forked with spec
and model in memory (copy-on-write) judges the requirements of part of the tables while
this process judges the rest and runs the rule pack; the child hands back only what the
verdict line and the exit code read: its findings that are not PASS, those a waiver may
match (by the waivers' own matching) and those about the migration history, in order,
plus how many PASS findings it dropped (:class:`CountedResult` counts them).

The cut is by table, as the engine groups findings: strict mode reads the findings of the
requirements of its own table (``AuditContext.judged`` by kind and table) and a
requirement under an absent table or view is NOT_APPLICABLE (``engine._is_absent``, by the
parent's id). The child checks that the cut keeps both within one side (no id on both
sides, no requirement whose parent is judged on the other side; a finding is about its
requirement's table: ``findings.finding_for``); where it does not, it answers so and this
process judges the whole spec itself, as it does when no fork is safe or worth it
(``forkjob.start`` None: not Linux, another thread, one allowed core: ``forkjob.cores``),
when the child fails or dies (its error is then this process's own, worded as an
in-process audit words it), and below :data:`MIN_REQUIREMENTS`, where the fork's own cost
(≈ 4 ms, and the pages both processes then copy) is more than half the judging.

A spec that lists each table's requirements together (init's does) is cut once: the child
takes a prefix of whole tables, this process the rest and those of no table (:func:`cut`).
``audit --dsn -q`` works that cut out and checks it while it waits for the server's last
catalog rows (:func:`prepare`, run by ``ReadAhead.result``: this process is idle then), so
after the read the child starts judging at once, with no walk of the whole spec on either
side (each such walk also copied every page of the spec in both processes: copy-on-write).

The waivers are applied in two parts when every pattern is an exact id (init's are): those
naming a requirement of the child's to its kept findings once it answered, the others to
this process's findings while the child judges (:func:`waiver_parts`, :func:`waived_apart`:
the same findings, in the same order, as one pass over all of them; with a glob, or when
that does not hold, one pass after the child answered, as before).
"""

from __future__ import annotations

import operator
import pickle
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from schema_audit import forkjob
from schema_audit.audit import engine
from schema_audit.audit.context import AuditContext
from schema_audit.audit.findings import Finding, refilled, unfilled
from schema_audit.audit.result import AuditResult
from schema_audit.audit.waivers import unsettled_tables
from schema_audit.enums import PASS
from schema_audit.model import SchemaModel, Table
from schema_audit.spec.model import Requirement, Spec, match_ids

# below this many requirements an audit judges on one core (B0.3's spec: a few hundred)
MIN_REQUIREMENTS = 4000
# CPU per requirement judged and per table the rule pack reads (µs, init's and the selector
# spec at 1,000 tables): this process runs the rule pack besides its share while the child
# judges, so the child takes more than half of the requirements (init's spec: ≈ 0.6, the
# selector spec with its 2,402 rule findings: ≈ 0.8). A live audit's process also applies
# the waivers to its own findings meanwhile (:func:`waiver_parts`; a static one after the
# child answered), and its no-table requirements' walk of every table (strict.tables) costs
# it the pages it copies after the fork: there 50 µs a table and 8 µs a waiver. Measured
# after the fork (sixteenth session, 23 marked runs of init's 1,000-table spec, medians):
# the child judged its 30,100 requirements in 0.182 CPU s (6.0 µs each, its copy-on-write
# faults included) while this process spent 0.161 s on the rest, so this process waited
# 0.03-0.05 s at the join on a quiet machine; with 6.0 µs a requirement and 50 µs a table
# init's spec gives the child ≈ 0.64 (was 0.67) and the selector spec ≈ 0.82 (was 0.9:
# its child 0.066 against 0.060 s). A static audit's share is as before (36 µs a table
# at 4.4 µs a requirement).
_JUDGE_US, _WAIVER_US = 6.0, 8.0
_RULES_US = 36.0 * _JUDGE_US / 4.4
_LIVE_RULES_US = 50.0
# finding ids the exit code reads whatever their status (cli/audit._exit: a stopped replay)
_HISTORY = "migrations."


@dataclass(frozen=True)
class CountedResult(AuditResult):
    """An :class:`AuditResult` holding every finding but ``passes`` PASS findings no waiver
    may match, which only its summary counts: all ``-q`` reads (verdict line, exit code).
    No report is rendered from it."""

    passes: int = 0

    @property
    def summary(self) -> dict[str, int]:
        counts = super().summary
        counts[PASS] += self.passes
        return counts


def child_share(spec: Spec, model: SchemaModel, rules: bool, live: bool = False) -> float:
    """The child's fraction of the requirements, for both sides to be done together: this
    process judges the rest and runs the rule pack (``rules``) meanwhile, and (``live``)
    applies its waivers."""
    waivers = len(spec.waivers) if live else 0
    return _share(len(spec.requirements), len(model.tables), waivers, rules, live)


def _share(requirements: int, tables: int, waivers: int, rules: bool, live: bool) -> float:
    judge = _JUDGE_US * max(requirements, 1)  # (no requirement: MIN_REQUIREMENTS lowered)
    per_table = _LIVE_RULES_US if live else _RULES_US
    extra = (per_table * tables if rules else 0.0) + _WAIVER_US * waivers
    return min(0.9, max(0.5, (judge + extra) / (2 * judge)))


def shares(
    requirements: Sequence[Requirement], fraction: float
) -> tuple[list[Requirement], list[Requirement]]:
    """(this process's, the child's) requirements, each in spec order: whole tables, about
    ``fraction`` of the requirements to the child; those of no table stay here."""
    side: dict[str | None, bool] = {None: False}
    mine: list[Requirement] = []
    theirs: list[Requirement] = []
    for req in requirements:
        table = req.table
        child = side.get(table)
        if child is None:  # a table first seen: to the side that is short of its share
            child = side[table] = len(theirs) < fraction * (len(mine) + len(theirs) + 1)
        (theirs if child else mine).append(req)
    return mine, theirs


def cut(
    requirements: list[Requirement], fraction: float, explicit: int | None = None
) -> tuple[list[Requirement], list[Requirement]] | None:
    """(this process's, the child's) requirements when the spec's own (the first
    ``explicit``; all by default) list each table's requirements together: the child's a
    prefix of them made of whole tables, about ``fraction`` of the requirements, and the
    requirements selectors stamped for those tables (after the spec's own, in their
    order); this process's the rest, those of no table among them. None when no such cut
    exists (a table listed in two places, a requirement of no table inside the prefix,
    more stamped requirements than a quarter of the spec's own: a selector spec):
    :func:`shares` then. Slices and set operations (C) but for the stamped ones."""
    n = len(requirements) if explicit is None else explicit
    stamped = requirements[n:]
    if len(stamped) * 4 > n:
        return None
    got = _prefix(requirements[:n], fraction)
    if got is None:
        return None
    k, head = got
    mine, theirs = _stamped_sides(stamped, head)
    return requirements[k:n] + mine, requirements[:k] + theirs


def _stamped_sides(
    stamped: list[Requirement], head: set[str | None]
) -> tuple[list[Requirement], list[Requirement]]:
    """(this process's, the child's) of the requirements selectors stamped, in their order:
    each to its table's side (the child's tables are ``head``)."""
    to_child = [req.table in head for req in stamped]
    return (
        [r for r, c in zip(stamped, to_child, strict=True) if not c],
        [r for r, c in zip(stamped, to_child, strict=True) if c],
    )


def _prefix(requirements: list[Requirement], fraction: float) -> tuple[int, set] | None:
    """(k, the tables of ``requirements[:k]``): whole tables, about ``fraction`` of the
    requirements, none of them listed again after k and no requirement of no table among
    them; None when there is no such k."""
    tables = [req.table for req in requirements]
    n, k = len(tables), int(fraction * len(tables))
    while 0 < k < n and tables[k] is not None and tables[k] == tables[k - 1]:
        k += 1  # to the start of the next table
    if not 0 < k < n:
        return None
    head = set(tables[:k])
    if None in head or not head.isdisjoint(tables[k:]):
        return None
    return k, head


class _Plan(NamedTuple):
    """A cut of the spec's own requirements worked out and checked before the read was
    taken (:func:`prepare`), with what checking stamped requirements added to it needs."""

    requirements: list[Requirement]  # the spec's own, as loaded (before any selector)
    k: int  # the child's are requirements[:k]
    head: set[str | None]  # their tables
    ids: tuple[set[str], set[str]]  # (this process's, the child's) ids
    parents: tuple[set[str | None], set[str | None]]  # (this process's, the child's) parents
    rules: bool
    ctx: AuditContext  # its indexes of the spec's own requirements (no model yet)


_PLANNED: list[_Plan] = []  # the one cut prepared, taken by the next start()


def prepare(spec: Spec, rules: bool = True) -> None:
    """Work out :func:`cut` for the spec's own requirements and check it now (``audit --dsn
    -q`` while it waits for the read), for :func:`start` to take when it judges them (and
    what selectors stamp after them) with the rule pack as ``rules`` says, else dropped
    there; nothing when ``spec`` is not cut that way. The share counts the spec's tables
    for the model's (init's spec lists every table)."""
    _PLANNED.clear()
    requirements = spec.requirements
    if len(requirements) < MIN_REQUIREMENTS or forkjob.cores() < 2:
        return
    tables = len({req.table for req in requirements} - {None})
    share = _share(len(requirements), tables, len(spec.waivers), rules, live=True)
    got = _prefix(requirements, share)
    if got is None:
        return
    k, head = got
    mine, theirs = requirements[k:], requirements[:k]
    sides = _sides(mine, theirs)
    if sides is not None:
        ids, parents = sides
        ctx = AuditContext.build(spec, SchemaModel(), "")
        ctx.aliases  # noqa: B018 - (and the requirements by kind)
        _PLANNED.append(_Plan(requirements, k, head, ids, parents, rules, ctx))


class _Taken(NamedTuple):
    """A prepared cut taken by :func:`start`: the sides, the child's ids, the context."""

    mine: list[Requirement]
    theirs: list[Requirement]
    their_ids: set[str]
    ctx: AuditContext


def _prepared(
    spec: Spec, model: SchemaModel, source_kind: str, explicit: int | None, rules: bool
) -> _Taken | None:
    """The prepared cut when ``spec`` (selectors stamped out) judges the requirements it
    was worked out on (the same objects, in the same order, its first ``explicit``) with
    the rule pack as it was prepared for, extended by the stamped ones after them (each to
    its table's side) when the cut still holds with them; else None. Taken either way:
    used once at most."""
    if not _PLANNED:
        return None
    plan = _PLANNED.pop()
    judged, planned = spec.requirements, plan.requirements
    n = len(planned)
    if plan.rules != rules or explicit != n or len(judged) < n:
        return None
    if judged is not planned and not all(map(operator.is_, judged, planned)):  # (the first n)
        return None
    stamped = judged[n:]
    mine, theirs = _stamped_sides(stamped, plan.head)
    if not _stamped_hold(plan, mine, theirs):
        return None
    their_ids = plan.ids[1]
    their_ids.update(r.id for r in theirs)  # (the plan's own: it is used once)
    ctx = plan.ctx.extended(spec, model, source_kind, stamped)
    return _Taken(planned[plan.k :] + mine, planned[: plan.k] + theirs, their_ids, ctx)


def _stamped_hold(plan: _Plan, mine: list[Requirement], theirs: list[Requirement]) -> bool:
    """Whether the prepared cut still holds (as :func:`_cut_holds` says of the whole) with
    the stamped requirements ``mine`` and ``theirs`` added to its sides."""
    my_ids, their_ids = plan.ids
    my_parents, their_parents = plan.parents
    mine_ids, theirs_ids = {r.id for r in mine}, {r.id for r in theirs}
    if len(theirs_ids) != len(theirs) or not mine_ids.isdisjoint(theirs_ids):
        return False
    stamped = mine_ids | theirs_ids  # (a few thousand: the spec's own ids are ≈ 45,000,
    # and their union, made here each time, was ≈ 3 ms after the read)
    if not (my_ids.isdisjoint(stamped) and their_ids.isdisjoint(stamped)):
        return False
    return (
        my_parents.isdisjoint(theirs_ids)
        and their_parents.isdisjoint(mine_ids)
        and not any(r.parent in their_ids or r.parent in theirs_ids for r in mine)
        and not any(r.parent in my_ids or r.parent in mine_ids for r in theirs)
    )


def _cut_holds(mine: list[Requirement], theirs: list[Requirement]) -> bool:
    """Whether judging each side alone is judging the whole: no id on both sides, and no
    requirement whose parent (its table or view) is judged on the other side (a parent
    that is no requirement, a selector's match, is judged by neither)."""
    return _sides(mine, theirs) is not None


def _sides(
    mine: list[Requirement], theirs: list[Requirement]
) -> tuple[tuple[set[str], set[str]], tuple[set[str | None], set[str | None]]] | None:
    """((this process's, the child's) ids, (this process's, the child's) parents) when
    :func:`_cut_holds`, else None. Set comparisons (in C): the parents' sets are what
    :func:`prepare` keeps anyway, and a membership test per requirement in a list of
    45,000 made the check ≈ 9 ms of the wait for the read, which a quiet machine's audit
    does not have (its main process is CPU-bound until the read is taken)."""
    their_ids = {req.id for req in theirs}
    if len(their_ids) != len(theirs):
        return None
    my_ids = {req.id for req in mine}
    my_parents = {req.parent for req in mine}
    their_parents = {req.parent for req in theirs}
    if not (
        my_ids.isdisjoint(their_ids)
        and my_parents.isdisjoint(their_ids)
        and their_parents.isdisjoint(my_ids)
    ):
        return None
    return (my_ids, their_ids), (my_parents, their_parents)


class Theirs(NamedTuple):
    """What the child hands back: its findings ``-q`` reads, in order, and how many PASS
    findings it left out."""

    kept: list[Finding]
    passes: int


def _kept(spec: Spec, found: list[Finding]) -> Theirs:
    """The findings the verdict line and exit code read (every one but a PASS no waiver may
    match) and how many PASS findings were dropped; :func:`_handover` readies them for the
    pipe."""
    patterns = [w.pattern for w in spec.waivers]
    waivable = set(patterns)
    globs = [p for p in patterns if "*" in p or "?" in p]
    if globs:
        ids = [f.id for f in found]
        for pattern in globs:
            waivable.update(match_ids(pattern, ids))
    kept = [f for f in found if f.status != PASS or f.id in waivable or f.id.startswith(_HISTORY)]
    return Theirs(kept, len(found) - len(kept))


# a lazy finding's fill argument, as it crosses the pipe: this audit's context, a table of its
# model (by name), a string
_CONTEXT, _TABLE, _TEXT = 0, 1, 2
_Handed = tuple[list[Any], int]  # the kept findings (or an unworked one's parts), passes


def _handover(theirs: Theirs, ctx: AuditContext) -> _Handed:
    """``theirs`` as the child pickles it: each finding worked out in full (a lazy finding's
    message, evidence, DDL and place: they cross a pipe), but a lazy one whose fill reads
    only this audit's context, tables of its model and strings (a table DEFERRED on its
    owner, a waived PASS), which crosses unworked (:func:`~schema_audit.audit.findings.
    unfilled`) and is made again by :func:`_taken_over` with this process's own context and
    tables, the very objects the child had (it was forked with them): what it reads when
    first read is what the child would have worked out. Why: with init's 1,000-table spec,
    a history that does not say who runs it DEFERs the owner of every table; the child
    printed the CREATE TABLE of each of its ≈ 590 (≈ 0.02 CPU s) and pickled each twice
    (the DDL and its evidence: 1.6 MB) for a ``-q`` that reads none of them."""
    items: list[Any] = []
    for f in theirs.kept:
        parts = unfilled(f)
        tokens = _tokens(parts[1], ctx) if parts is not None else None
        if parts is None or tokens is None:
            f.message, f.evidence, f.ddl, f.spec_location  # noqa: B018 - fills a lazy finding
            items.append(f)
        else:
            items.append((parts[0], tokens))
    return items, theirs.passes


def _tokens(fill: tuple[Any, ...], ctx: AuditContext) -> tuple[Any, ...] | None:
    """``fill`` (``(function, *arguments)``) as it crosses the pipe, or None when it cannot
    cross unworked: a function that is not its module's own by name, an argument that is
    not ``ctx``, a table of its model (the model's own object) or a string."""
    function, *args = fill
    module = sys.modules.get(getattr(function, "__module__", "") or "")
    if getattr(module, getattr(function, "__qualname__", ""), None) is not function:
        return None
    tokens: list[Any] = [function]
    tables = ctx.model.tables
    for arg in args:
        if arg is ctx:
            tokens.append((_CONTEXT,))
        elif type(arg) is Table and tables.get(arg.qualified_name) is arg:
            tokens.append((_TABLE, arg.qualified_name))
        elif type(arg) is str:
            tokens.append((_TEXT, arg))
        else:
            return None
    return tuple(tokens)


def _taken_over(handed: _Handed, ctx: AuditContext) -> Theirs:
    """The child's :func:`_handover`, its unworked findings made again with ``ctx`` (this
    process's context, the one the child was forked with) and its model's tables."""
    items, passes = handed
    kept: list[Finding] = []
    tables = ctx.model.tables
    for item in items:
        if type(item) is not tuple:
            kept.append(item)
            continue
        values, (function, *tokens) = item
        args = [
            ctx if t[0] == _CONTEXT else tables[t[1]] if t[0] == _TABLE else t[1] for t in tokens
        ]
        kept.append(refilled(values, (function, *args)))
    return Theirs(kept, passes)


def waiver_parts(spec: Spec, shared: Shared) -> tuple[list[int], list[int]] | None:
    """The spec's waivers in two parts (their indices): those applied to this process's
    findings while the child judges, and those whose pattern is the id of a requirement the
    child judges, applied to its kept findings once it answered (the child keeps every
    finding a waiver may match: :func:`_kept`); None: every waiver over all the findings
    after the child answered (none, or a glob: it may match findings on both sides)."""
    patterns = [w.pattern for w in spec.waivers]
    if not patterns or any("*" in p or "?" in p for p in patterns):
        return None
    theirs = shared.their_ids
    there = [i for i, p in enumerate(patterns) if p in theirs]
    return [i for i, p in enumerate(patterns) if p not in theirs], there


def waived_apart(shared: Shared, here: list[Finding], at: int, theirs: Theirs) -> bool:
    """Whether waiving ``here`` (this process's findings, the first ``at`` of them judged
    or a selector's, the rest the source's and the rule pack's) and the child's kept
    findings apart, each with its part of :func:`waiver_parts`, is what one pass of
    ``apply_waivers`` over all of them makes: each of its findings is about a requirement
    of the child's (their ids are disjoint from the ones judged here by the cut), no other
    finding here has such an id, and none of the child's is a DEFERRED table (a waiver
    matching nothing is DEFERRED, not stale, when its rule's table is one)."""
    ids = shared.their_ids
    return (
        all(f.id in ids for f in theirs.kept)
        and ids.isdisjoint([f.id for f in here[at:]])
        and not unsettled_tables(theirs.kept)
    )


def waiver_index(finding: Finding) -> int:
    """The index in the spec's waivers of a finding about a waiver (``waivers.<index>``)."""
    return int(finding.id.rpartition(".")[2])


def _judge_theirs(
    ctx: AuditContext, mine: list[Requirement], theirs: list[Requirement], checked: bool
) -> bytes:
    """The child's work: its share judged, what ``-q`` reads of it, pickled (None when the
    cut does not hold: this process then judges everything). ``checked``: the cut was
    checked before the read was taken (:func:`prepare`), else it is checked here."""
    spec = ctx.spec
    if not checked and not _cut_holds(mine, theirs):
        return pickle.dumps(None)
    found = engine.evaluate(spec, ctx.model, ctx.source_kind, share=theirs, ctx=ctx)
    handed = _handover(_kept(spec, found), ctx)
    return pickle.dumps(handed, protocol=pickle.HIGHEST_PROTOCOL)


class Shared:
    """A judging shared with a child: :attr:`mine` for this process to judge with
    :attr:`ctx`, then :meth:`theirs` (None: judge the whole spec here)."""

    def __init__(
        self, job: Any, mine: list[Requirement], ctx: AuditContext, their_ids: set[str]
    ) -> None:
        self._job, self.mine, self.ctx = job, mine, ctx
        self.their_ids = their_ids  # the ids of the requirements the child judges

    def theirs(self) -> Theirs | None:
        """The child's kept findings and dropped PASS count, or None (it refused the cut,
        failed or died)."""
        data = self._job.result()
        handed = None if data is None else pickle.loads(data)
        return None if handed is None else _taken_over(handed, self.ctx)

    def end(self) -> None:
        """Stop and collect the child if it still runs (this process failed first)."""
        self._job.end()


def start(
    spec: Spec, model: SchemaModel, source_kind: str, rules: bool, explicit: int | None = None
) -> Shared | None:
    """The child judging its share from now, or None: judge the whole spec here (``rules``:
    this process runs the rule pack meanwhile; ``explicit``: how many of the requirements
    are the spec's own, the rest stamped by its selectors)."""
    prepared = _prepared(spec, model, source_kind, explicit, rules)
    if len(spec.requirements) < MIN_REQUIREMENTS:
        return None  # (on one allowed core forkjob.start declines: judged here)
    if prepared is None:
        # the context's walks of the whole spec before the fork, not once on each side: its
        # requirements by id and by kind, and the aliases index checks read (≈ 0.02 CPU s)
        ctx = AuditContext.build(spec, model, source_kind)
        ctx.aliases  # noqa: B018
        # a static source's tables cost unevenly (DEFERRED ones little): with a prefix cut
        # this process came to the join 0.08 s after the child at 1,000 tables (with the
        # tables dealt out one by one, as before, 0.08 s before it): cut as before there
        live = source_kind == "live"
        fraction = child_share(spec, model, rules, live)
        got = cut(spec.requirements, fraction, explicit) if live else None
        mine, theirs = got or shares(spec.requirements, fraction)
        checked, their_ids = False, {r.id for r in theirs} if live else set()
    else:
        (mine, theirs, their_ids, ctx), checked = prepared, True
    job = forkjob.start(lambda: _judge_theirs(ctx, mine, theirs, checked))
    if job is None:
        return None
    return Shared(job, mine, ctx, their_ids)
