"""One schema in many databases: which targets pass, and where each one drifts from the rest.

The input is the JSON audit document of each target (from a fleet run, or from separate
runs in a CI matrix read back by ``merge``), so the summary cannot depend on how the audits
were scheduled. "Drift" is judged per finding id: the status most targets have is the
majority; a target whose status differs (or that lacks the finding) drifts on it. That is
the question a fleet owner asks first: not "what fails" (every target's own report says it)
but "which database is not like the others".
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schema_audit.errors import SchemaAuditError
from schema_audit.fleet.run import TargetOutcome

ABSENT = "ABSENT"  # the finding does not exist in that target's result


class MergeInputError(SchemaAuditError):
    """A file given to ``merge`` is not an audit result."""


@dataclass(frozen=True, slots=True)
class TargetRow:
    """One audited target's line of the fleet summary: its verdict, counts and how many of its
    findings differ from the fleet's majority."""

    name: str
    target: str
    verdict: str  # PASS, FAIL or ERROR (the audit could not run)
    summary: dict[str, int]
    error: str | None
    drift: int  # findings whose status differs from the fleet's majority


@dataclass(frozen=True, slots=True)
class DriftingFinding:
    """A finding whose status is not the same on every target: the majority's status and each
    target's."""

    id: str
    majority: str
    statuses: dict[str, str]  # target name -> status, for every audited target


@dataclass(frozen=True, slots=True)
class FleetSummary:
    """The fleet audit's result: one row per target, the drifting findings and each target's JSON
    document."""

    rows: tuple[TargetRow, ...]
    drifting: tuple[DriftingFinding, ...]
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """ERROR when any target could not be audited, else FAIL when any failed, else PASS."""
        verdicts = {row.verdict for row in self.rows}
        return next((v for v in ("ERROR", "FAIL") if v in verdicts), "PASS")

    def exit_code(self) -> int:
        return {"PASS": 0, "FAIL": 1, "ERROR": 2}[self.verdict]

    def to_document(self) -> dict[str, Any]:
        from schema_audit import __version__

        return {
            "schema_audit_version": __version__,
            "kind": "fleet",
            "verdict": self.verdict,
            "targets": [
                {
                    "name": row.name,
                    "target": row.target,
                    "verdict": row.verdict,
                    "summary": row.summary,
                    "error": row.error,
                    "drift": row.drift,
                }
                for row in self.rows
            ],
            "drift": [
                {"id": d.id, "majority": d.majority, "statuses": d.statuses} for d in self.drifting
            ],
            "results": self.documents,
        }


def summarise(outcomes: Sequence[TargetOutcome]) -> FleetSummary:
    """Rows in the given order; drifting findings sorted by id (deterministic output)."""
    documents = {o.name: o.document for o in outcomes if o.document is not None}
    statuses: dict[str, dict[str, str]] = {}
    for name, document in documents.items():
        for finding in document.get("findings", []):
            statuses.setdefault(finding["id"], {})[name] = finding["status"]
    drifting: list[DriftingFinding] = []
    drift_count: Counter[str] = Counter()
    for finding_id in sorted(statuses):
        per_target = {name: statuses[finding_id].get(name, ABSENT) for name in documents}
        if len(set(per_target.values())) < 2:
            continue
        counts = Counter(per_target.values())
        majority = min(counts, key=lambda status: (-counts[status], status))
        drifting.append(DriftingFinding(finding_id, majority, per_target))
        drift_count.update(name for name, status in per_target.items() if status != majority)
    rows = []
    for outcome in outcomes:
        document = outcome.document
        if document is None:
            rows.append(TargetRow(outcome.name, outcome.target, "ERROR", {}, outcome.error, 0))
            continue
        rows.append(
            TargetRow(
                outcome.name,
                outcome.target,
                str(document.get("verdict", "FAIL")),
                dict(document.get("summary", {})),
                None,
                drift_count[outcome.name],
            )
        )
    return FleetSummary(tuple(rows), tuple(drifting), {k: v for k, v in documents.items() if v})


def outcomes_from_files(paths: Sequence[Path]) -> list[TargetOutcome]:
    """Read the JSON results of separate runs (``audit --format json -o NAME.json``).

    Each file is one target, named after the file (``eu-west.json`` → ``eu-west``; when two
    files share a name, their folder is prefixed). Anything that is not an audit result is
    an error naming the file, so a CI artefact of the wrong kind cannot pass unnoticed.
    """
    problems: list[str] = []
    names = [p.stem for p in paths]
    outcomes: list[TargetOutcome] = []
    for path in sorted(paths, key=str):
        name = path.stem if names.count(path.stem) == 1 else f"{path.parent.name}/{path.stem}"
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(f"{path}: not a JSON audit result: {exc}")
            continue
        if not isinstance(document, dict) or not {"findings", "verdict", "source"} <= set(document):
            problems.append(f"{path}: not an audit result (no findings/verdict/source keys)")
            continue
        target = str(document.get("source", {}).get("target", ""))
        outcomes.append(TargetOutcome(name, target, document, None, 0.0))
    if problems:
        raise MergeInputError(*problems)
    if not outcomes:
        raise MergeInputError("no audit results to merge")
    return outcomes
