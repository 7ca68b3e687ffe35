"""The outcome of one audit: its final findings, and every roll-up derived from them.

An :class:`AuditResult` is frozen and holds only findings in their final state
(after waivers, inline suppressions and the baseline). Questions, exit gates,
categories, the summary and the verdict are computed from those findings on
first use, never stored beside them: a roll-up cannot disagree with the findings
it summarises, or point at a finding the result no longer holds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import compress, repeat
from operator import attrgetter, eq
from typing import Any

from schema_audit.audit.findings import STATUSES, Finding, at_or_above
from schema_audit.enums import Status
from schema_audit.model import SchemaModel
from schema_audit.spec.model import Spec

_status = attrgetter("status")  # a finding's status (the walks over every finding, in C)

# A finding the baseline accepted counts like a waived one in the roll-ups that cited it.
ACCEPTED = Status.WAIVED


@dataclass(frozen=True, slots=True)
class Rollup:
    """A question's or exit gate's answer, derived from the findings it cites."""

    id: str
    title: str
    status: str
    findings: tuple[str, ...]
    category: str | None = None
    question: str | None = None
    note: str | None = None
    migrations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CategoryRollup:
    """A category's answer: its questions' answers and the findings filed under it."""

    id: str | None
    title: str
    status: str
    questions: tuple[str, ...]
    findings: tuple[str, ...]  # findings filed under it that no question cites
    counts: dict[str, int] = field(default_factory=dict)


def aggregate(statuses: list[str]) -> str:
    """One answer for many findings; a requirement that cannot apply counts as unmet."""
    if not statuses:
        return Status.NOT_APPLICABLE
    if any(s in (Status.FAIL, Status.NOT_APPLICABLE) for s in statuses):
        return Status.FAIL
    for status in (Status.PARTIAL, Status.DEFERRED):
        if status in statuses:
            return status
    return Status.PASS


@dataclass(frozen=True)
class AuditResult:
    """One audit's findings and what they add up to; build it with :func:`schema_audit.audit`."""

    spec: Spec
    model: SchemaModel
    source_kind: str
    source_target: str
    findings: tuple[Finding, ...]
    fail_on: str = "low"
    # ids of findings the baseline accepted (dropped from ``findings``), and the
    # baseline entries no longer found (fixed since the baseline was written)
    baselined: tuple[str, ...] = ()
    fixed: tuple[dict[str, Any], ...] = ()

    def finding(self, fid: str) -> Finding | None:
        return self._by_id.get(fid)

    @cached_property
    def _by_id(self) -> dict[str, Finding]:
        return {f.id: f for f in self.findings}

    @property
    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        # counted in C (a finding per requirement: 220,000 with init's 5,000-table spec); a
        # status outside STATUSES comes after them, in the order first seen, as before
        for status, count in Counter(map(_status, self.findings)).items():
            counts[status] = counts.get(status, 0) + count
        return counts

    def failing_at(self, fail_on: str) -> list[Finding]:
        return [f for f in self._failed if at_or_above(f.severity, fail_on)]

    @cached_property
    def _failed(self) -> tuple[Finding, ...]:
        """The FAIL findings (the verdict, its line and the exit code each ask for them)."""
        findings = self.findings
        return tuple(compress(findings, map(eq, map(_status, findings), repeat(Status.FAIL))))

    @property
    def failing(self) -> list[Finding]:
        return self.failing_at(self.fail_on)

    @property
    def verdict(self) -> str:
        return Status.FAIL if self.failing else Status.PASS

    def exit_code(self, fail_on: str | None = None) -> int:
        """0 conformant at ``fail_on`` (default: the audit's), 1 findings at or above it."""
        return 1 if self.failing_at(fail_on or self.fail_on) else 0

    def _rollup(
        self,
        rid: str,
        title: str,
        requirement_ids: list[str],
        note: str | None = None,
        **extra: Any,
    ) -> Rollup:
        """A question's or gate's answer from the findings it cites that the result holds.

        A finding the baseline accepted counts as accepted (and is not cited), and the note
        says how many were; a cited id the result does not hold at all does not count.
        """
        present = [self._by_id[r] for r in requirement_ids if r in self._by_id]
        accepted = sum(1 for r in requirement_ids if r in self._baselined_set)
        if accepted:
            extra_note = f"{accepted} finding(s) accepted by the baseline"
            note = f"{note}; {extra_note}" if note else extra_note
        return Rollup(
            id=rid,
            title=title,
            status=aggregate([f.status for f in present] + [ACCEPTED] * accepted),
            findings=tuple(f.id for f in present),
            note=note,
            **extra,
        )

    @cached_property
    def _baselined_set(self) -> frozenset[str]:
        return frozenset(self.baselined)

    @cached_property
    def questions(self) -> tuple[Rollup, ...]:
        return tuple(
            self._rollup(
                q.id,
                q.title,
                q.requirement_ids,
                q.note,
                category=q.category,
                question=q.question,
            )
            for q in self.spec.questions
        )

    @cached_property
    def exit_gates(self) -> tuple[Rollup, ...]:
        out = []
        for gate in self.spec.exit_gates:
            rollup = self._rollup(gate.criterion, gate.criterion, gate.requirement_ids)
            migrations = _implementing_migrations([self._by_id[f] for f in rollup.findings])
            out.append(replace(rollup, migrations=tuple(migrations)))
        return tuple(out)

    @cached_property
    def categories(self) -> tuple[CategoryRollup, ...]:
        """Each category with questions or findings, in the spec's order, then the tool's own."""
        order: list[str | None] = [c.id for c in self.spec.categories]
        questions: dict[str | None, list[Rollup]] = {}
        others: dict[str | None, list[Finding]] = {}
        answered: set[str] = set()
        for rollup in self.questions:
            questions.setdefault(rollup.category, []).append(rollup)
            answered.update(rollup.findings)
            if rollup.category not in order:
                order.append(rollup.category)
        for f in self.findings:
            if f.id not in answered:
                others.setdefault(f.category, []).append(f)
                if f.category not in order:
                    order.append(f.category)
        out = []
        for cid in order:
            cat_questions = questions.get(cid, [])
            cat_others = others.get(cid, [])
            if not (cat_questions or cat_others):
                continue
            # A category counts its own findings and those its questions cite.
            cited = {fid for q in cat_questions for fid in q.findings}
            in_category = [f for f in self.findings if f.category == cid or f.id in cited]
            statuses = [q.status for q in cat_questions] + [f.status for f in cat_others]
            out.append(
                CategoryRollup(
                    id=cid,
                    title=self.spec.category_title(cid),
                    status=aggregate(statuses),
                    questions=tuple(q.id for q in cat_questions),
                    findings=tuple(f.id for f in cat_others),
                    counts={s: sum(1 for f in in_category if f.status == s) for s in STATUSES},
                )
            )
        return tuple(out)


def _implementing_migrations(findings: list[Finding]) -> list[str]:
    """The migration files that implement a gate's met criteria (a gap has none to name)."""
    files: list[str] = []
    for f in findings:
        if f.status not in (Status.PASS, Status.PARTIAL, Status.WAIVED):
            continue
        for ev in f.evidence:
            # For tables and columns, the migration that created them implements the criterion.
            if f.kind in ("table", "column") and ev.note not in (None, "created"):
                continue
            if ev.source == "migration" and ev.file and ev.file not in files:
                files.append(ev.file)
    return files
