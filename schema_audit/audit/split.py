"""Judging shared with a forked child, for a result that keeps only what ``-q`` reads.

Why: once the server has answered and the spec is loaded, ``audit --dsn -q`` judged every
requirement (≈ 47,000 with init's 1,000-table spec: 0.22 CPU s), ran the rule pack and
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
process judges the whole spec itself, as it does when no fork is safe (``forkjob.start``
None: not Linux, another thread) or no second core is allowed (``sched_getaffinity``),
when the child fails or dies (its error is then this process's own, worded as an
in-process audit words it), and below :data:`MIN_REQUIREMENTS`, where the fork's own cost
(≈ 4 ms, and the pages both processes then copy) is more than half the judging.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from schema_audit.audit import engine
from schema_audit.audit.context import AuditContext
from schema_audit.audit.findings import Finding
from schema_audit.audit.result import AuditResult
from schema_audit.enums import PASS
from schema_audit.model import SchemaModel
from schema_audit.spec.model import Requirement, Spec, match_ids

# below this many requirements an audit judges on one core (B0.3's spec: a few hundred)
MIN_REQUIREMENTS = 4000
# CPU per requirement judged and per table the rule pack reads (µs, init's and the
# selector spec at 1,000 tables): this process runs the rule pack besides its share while
# the child judges, so the child takes more than half of the requirements (init's spec:
# ≈ 0.6, the selector spec with its 2,402 rule findings: ≈ 0.8); the waivers come after
_JUDGE_US, _RULES_US = 4.4, 36.0
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


def child_share(spec: Spec, model: SchemaModel, rules: bool) -> float:
    """The child's fraction of the requirements, for both sides to be done together: this
    process judges the rest and runs the rule pack (``rules``) meanwhile."""
    judge = _JUDGE_US * len(spec.requirements)
    extra = _RULES_US * len(model.tables) if rules else 0.0
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


def _cut_holds(mine: list[Requirement], theirs: list[Requirement]) -> bool:
    """Whether judging each side alone is judging the whole: no id on both sides, and no
    requirement whose parent (its table or view) is judged on the other side (a parent
    that is no requirement, a selector's match, is judged by neither)."""
    their_ids = {req.id for req in theirs}
    if len(their_ids) != len(theirs):
        return False
    my_ids = {req.id for req in mine}
    return my_ids.isdisjoint(their_ids) and not any(
        [req.parent in their_ids for req in mine] + [req.parent in my_ids for req in theirs]
    )


class Theirs(NamedTuple):
    """What the child hands back: its findings ``-q`` reads, in order, and how many PASS
    findings it left out."""

    kept: list[Finding]
    passes: int


def _kept(spec: Spec, found: list[Finding]) -> Theirs:
    """The findings the verdict line and exit code read (every one but a PASS no waiver may
    match), each worked out in full (a lazy finding's message and place: they cross a
    pipe), and how many PASS findings were dropped."""
    patterns = [w.pattern for w in spec.waivers]
    waivable = set(patterns)
    globs = [p for p in patterns if "*" in p or "?" in p]
    if globs:
        ids = [f.id for f in found]
        for pattern in globs:
            waivable.update(match_ids(pattern, ids))
    kept = [f for f in found if f.status != PASS or f.id in waivable or f.id.startswith(_HISTORY)]
    for f in kept:
        f.message, f.evidence, f.ddl, f.spec_location  # noqa: B018 - fills a lazy finding
    return Theirs(kept, len(found) - len(kept))


def _judge_theirs(ctx: AuditContext, fraction: float) -> bytes:
    """The child's work: its share judged, what ``-q`` reads of it, pickled (None when the
    cut does not hold: this process then judges everything)."""
    spec = ctx.spec
    mine, theirs = shares(spec.requirements, fraction)
    if not _cut_holds(mine, theirs):
        return pickle.dumps(None)
    found = engine.evaluate(spec, ctx.model, ctx.source_kind, share=theirs, ctx=ctx)
    return pickle.dumps(_kept(spec, found), protocol=pickle.HIGHEST_PROTOCOL)


class Shared:
    """A judging shared with a child: :attr:`mine` for this process to judge with
    :attr:`ctx`, then :meth:`theirs` (None: judge the whole spec here)."""

    def __init__(self, job: Any, mine: list[Requirement], ctx: AuditContext) -> None:
        self._job, self.mine, self.ctx = job, mine, ctx

    def theirs(self) -> Theirs | None:
        """The child's kept findings and dropped PASS count, or None (it refused the cut,
        failed or died)."""
        data = self._job.result()
        return None if data is None else pickle.loads(data)

    def end(self) -> None:
        """Stop and collect the child if it still runs (this process failed first)."""
        self._job.end()


def _cores() -> int:
    """The cores this process may run on (a CI runner or container may allow one: two
    processes there only take turns, and the fork's own cost is the whole difference)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux: forkjob refuses the fork anyway
        return os.cpu_count() or 1


def start(spec: Spec, model: SchemaModel, source_kind: str, rules: bool) -> Shared | None:
    """The child judging its share from now, or None: judge the whole spec here (``rules``:
    this process runs the rule pack meanwhile)."""
    if len(spec.requirements) < MIN_REQUIREMENTS or _cores() < 2:
        return None
    from schema_audit import forkjob

    # the context's walks of the whole spec before the fork, not once on each side: its
    # requirements by id and by kind, and the aliases index checks read (≈ 0.02 CPU s)
    ctx = AuditContext.build(spec, model, source_kind)
    ctx.aliases  # noqa: B018
    fraction = child_share(spec, model, rules)
    job = forkjob.start(lambda: _judge_theirs(ctx, fraction))
    if job is None:
        return None
    return Shared(job, shares(spec.requirements, fraction)[0], ctx)
