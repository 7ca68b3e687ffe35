"""``--compare previous.json``: what changed since a previous audit.

The question every exit-gate review asks is "what changed since last week?".
Findings are matched by the baseline's fingerprint (what is wrong, not where
it was printed), so a migration file that grew does not turn an old problem
into a new one. New and still-failing are problems of this audit; fixed are
problems of the previous one that are gone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schema_audit.audit.baseline import REPORTED, fingerprint
from schema_audit.audit.findings import Diff, Finding
from schema_audit.errors import BaselineError


@dataclass(frozen=True, slots=True)
class Trend:
    """What changed since a previous audit (``--compare``): new, still failing and fixed findings."""

    previous: str  # the file compared with
    new: tuple[str, ...]  # finding ids
    still: tuple[str, ...]
    fixed: tuple[tuple[str, str], ...]  # (id, message) from the previous audit

    def state(self, finding_id: str) -> str | None:
        if finding_id in self.new:
            return "new"
        if finding_id in self.still:
            return "still failing"
        return None

    @property
    def line(self) -> str:
        return (
            f"since {self.previous}: {len(self.new)} new, {len(self.fixed)} fixed, "
            f"{len(self.still)} still failing"
        )


def _finding(entry: dict[str, Any]) -> Finding:
    return Finding(
        id=entry["id"],
        kind=entry.get("kind", ""),
        table=entry.get("table"),
        name=entry.get("name"),
        status=entry["status"],
        severity=entry.get("severity", "info"),
        message=entry.get("message", ""),
        diffs=[
            Diff(d["property"], d.get("expected"), d.get("actual")) for d in entry.get("diffs", [])
        ],
    )


def load(path: Path) -> list[Finding]:
    """The findings of a previous ``--format json`` report."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return [_finding(e) for e in document["findings"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BaselineError(f"{path}: not a schema-audit JSON report ({exc})") from None


def compare(result: Any, previous: list[Finding], label: str) -> Trend:
    before = {fingerprint(f): f for f in previous if f.status in REPORTED}
    now = {fingerprint(f): f for f in result.findings if f.status in REPORTED}
    return Trend(
        previous=label,
        new=tuple(f.id for fp, f in now.items() if fp not in before),
        still=tuple(f.id for fp, f in now.items() if fp in before),
        fixed=tuple((f.id, f.message) for fp, f in sorted(before.items()) if fp not in now),
    )
