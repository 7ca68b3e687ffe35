"""The forensic Markdown report, in the structure of the seed review.

Everything in it is derived from the audit result: question answers from their
findings, DDL from the model, "what exists instead" from the near-miss search,
recommendations from the failing findings. Nothing is typed by hand, and the
same inputs give the same bytes (the date comes from ``--date`` or the spec).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from schema_audit import __version__
from schema_audit.audit.findings import SEVERITY_RANK, Evidence, Finding, sort_key
from schema_audit.audit.result import AuditResult, Rollup
from schema_audit.render import digest
from schema_audit.render.markdown_text import md_block, md_cell, md_code, md_text
from schema_audit.render.recommendations import BUCKETS, Recommendation, recommend

SYMBOL = {
    "PASS": "✅",
    "FAIL": "❌",
    "PARTIAL": "⚠️",
    "DEFERRED": "⚠️",
    "NOT_APPLICABLE": "❌",
    "WAIVED": "⚠️",
}
ANSWER = {
    "PASS": "CONFIRMED",
    "FAIL": "GAP IDENTIFIED",
    "PARTIAL": "PARTIALLY IMPLEMENTED",
    "DEFERRED": "DEFERRED",
    "NOT_APPLICABLE": "NOT APPLICABLE",
    "WAIVED": "WAIVED",
}
CATEGORY_VERDICT = {
    "PASS": "✅ **FULLY IMPLEMENTED**",
    "FAIL": "❌ **FAILED**",
    "PARTIAL": "⚠️ **PARTIALLY IMPLEMENTED**",
    "DEFERRED": "⚠️ **DEFERRED**",
    "NOT_APPLICABLE": "— **NOT APPLICABLE**",
}


@dataclass(slots=True)
class QuestionView:
    """One spec question as the Markdown report prints it: its rollup, findings and suggested DDL."""

    rollup: Rollup
    findings: list[Finding]
    evidence_sources: list[str]
    ddl_blocks: list[str]
    instead: list[tuple[str, str, str, str | None]]  # (for, name, why, ddl)
    impact: str
    worst_severity: str


@dataclass(slots=True)
class CategoryView:
    """One spec category as the Markdown report prints it: its questions and other findings."""

    id: str | None
    title: str
    status: str
    questions: list[QuestionView] = field(default_factory=list)
    other_findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _evidence_sources(findings: list[Finding]) -> list[str]:
    """file:first-last line ranges per migration file, or the catalog, deduplicated."""
    ranges: dict[str, list[int]] = {}
    revisions: dict[str, str] = {}
    other: list[str] = []
    for f in findings:
        for ev in f.evidence:
            if ev.file:
                ranges.setdefault(ev.file, [])
                if ev.line:
                    ranges[ev.file].append(ev.line)
                if ev.revision:
                    revisions[ev.file] = ev.revision
            elif ev.source == "catalog" and "live catalog (pg_catalog)" not in other:
                other.append("live catalog (pg_catalog)")
            elif ev.source == "probe" and "behavioural probe" not in other:
                other.append("behavioural probe")
    out = []
    for file in sorted(ranges):
        lines = sorted(set(ranges[file]))
        span = ""
        if lines:
            span = f", line {lines[0]}" if len(lines) == 1 else f", lines {lines[0]}-{lines[-1]}"
        out.append(f"{file}{span}")
    return out + other


def _impact(findings: list[Finding]) -> tuple[str, str]:
    failing = [f for f in findings if f.status in ("FAIL", "NOT_APPLICABLE", "PARTIAL", "DEFERRED")]
    if not failing:
        return "", "info"
    worst = max(failing, key=lambda f: SEVERITY_RANK[f.severity])
    impacts = []
    for f in sorted(failing, key=lambda f: -SEVERITY_RANK[f.severity]):
        if f.impact and f.impact not in impacts:
            impacts.append(f.impact)
    return "; ".join(impacts[:4]), worst.severity


def build_categories(result: AuditResult) -> list[CategoryView]:
    spec = result.spec
    by_id = {f.id: f for f in result.findings}
    answered: set[str] = set()
    views: dict[str | None, CategoryView] = {}
    order: list[str | None] = [c.id for c in spec.categories]
    for cat in spec.categories:
        views[cat.id] = CategoryView(cat.id, cat.title, "NOT_APPLICABLE")
    for rollup in result.questions:
        findings = [by_id[i] for i in rollup.findings if i in by_id]
        answered.update(rollup.findings)
        ddl_blocks: list[str] = []
        instead: list[tuple[str, str, str, str | None]] = []
        for f in findings:
            if f.ddl and f.status != "PASS" and f.ddl not in ddl_blocks:
                ddl_blocks.append(f.ddl)
            label = (
                f.name
                if f.kind in ("column", "table", "view", "materialized_view")
                else f.id.split(".", 1)[-1]
            )
            for c in f.instead:
                entry = (label or f.id, c.name, c.why, c.ddl)
                if entry not in instead:
                    instead.append(entry)
        if not ddl_blocks:
            for f in findings:
                if f.ddl and f.ddl not in ddl_blocks:
                    ddl_blocks.append(f.ddl)
        impact, worst = _impact(findings)
        view = views.setdefault(
            rollup.category,
            CategoryView(rollup.category, spec.category_title(rollup.category), "NOT_APPLICABLE"),
        )
        if rollup.category not in order:
            order.append(rollup.category)
        view.questions.append(
            QuestionView(
                rollup,
                findings,
                _evidence_sources(findings),
                ddl_blocks[:6],
                instead[:8],
                impact,
                worst,
            )
        )
    for f in result.findings:
        if f.id not in answered:
            cid = f.category
            if cid not in views:
                views[cid] = CategoryView(cid, spec.category_title(cid), "NOT_APPLICABLE")
                order.append(cid)
            views[cid].other_findings.append(f)
    for category in result.categories:  # status and counts are the result's, not re-derived
        views[category.id].status = category.status
        views[category.id].counts = dict(category.counts)
    return [
        views[c] for c in order if c in views and (views[c].questions or views[c].other_findings)
    ]


def _probe_block(evidence: list[Evidence], limit: int = 12) -> str:
    """A probe's statements with the outcome of each, as one SQL block (setup lines elided)."""
    lines = []
    for ev in evidence:
        if ev.note and ev.note.startswith("ok (setup") or ev.note == "ok (synthetic data)":
            continue
        statement = " ".join((ev.sql or "").split())
        outcome = " ".join((ev.note or "").split())
        lines.append(f"{statement[:300]};\n-- → {outcome[:300]}")
        if len(lines) >= limit:
            lines.append("-- … (the JSON and HTML reports list every statement)")
            break
    return md_block("\n".join(lines) or "-- no statements recorded")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=False,  # Markdown: escaping is explicit through the md_* filters
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        md=md_text, cell=md_cell, code=md_code, block=md_block, probe_block=_probe_block
    )
    return env


def overall_verdict(result: AuditResult) -> str:
    if result.verdict == "PASS":
        if result.summary["PARTIAL"] or result.summary["DEFERRED"]:
            return "⚠️ **PHASE COMPLETE WITH DEVIATIONS**"
        return "✅ **PHASE COMPLETE**"
    blocking = [f for f in result.failing if f.severity == "blocking"]
    if blocking:
        return "❌ **NOT READY** — blocking gaps must be closed before the next phase"
    return "⚠️ **PHASE COMPLETE WITH DEVIATIONS** — failing findings below the blocking level"


def shown_ids(result: AuditResult, dig: digest.Digest, verbose: bool) -> set[str]:
    """Findings listed one by one: the problems (folded rule findings not again), and with
    --verbose the passing and waived ones too."""
    ids = {p.id for p in dig.problems}
    if verbose:
        ids |= {f.id for f in result.findings if f.status in ("PASS", "WAIVED")}
    return ids


def live_recommendations(result: AuditResult, dig: digest.Digest) -> list[Recommendation]:
    """Recommendations, without those of rule findings folded into the spec finding they restate."""
    folded = {r.id for p in dig.problems for r in p.folded}
    return [r for r in recommend(result) if not set(r.findings) <= folded]


def render(
    result: AuditResult,
    *,
    date: str | None = None,
    verbose: bool = False,
    top: int = 10,
    trend: Any = None,
) -> str:
    spec = result.spec
    dig = digest.build(result, trend)
    shown = shown_ids(result, dig, verbose)
    categories = build_categories(result)
    sections = [
        c for c in categories if c.questions or any(f.id in shown for f in c.other_findings)
    ]
    recs = live_recommendations(result, dig)
    template = _environment().get_template("report.md.j2")
    failing = sorted(
        (f for f in result.findings if f.status in ("FAIL", "PARTIAL", "DEFERRED")), key=sort_key
    )
    strengths = [c for c in categories if c.status == "PASS"]
    weaknesses = [c for c in categories if c.status == "FAIL"]
    text = template.render(
        spec=spec,
        result=result,
        date=digest.report_date(date, spec.date),
        version=__version__,
        categories=categories,
        symbol=SYMBOL,
        answer=ANSWER,
        category_verdict=CATEGORY_VERDICT,
        recommendations=recs,
        buckets=BUCKETS,
        top_findings=failing[:12],
        strengths=strengths,
        weaknesses=weaknesses,
        overall=overall_verdict(result),
        source_label=_source_label(result),
        digest=dig,
        sections=sections,
        verdict_line=digest.verdict_line(result, dig),
        problems={p.id: p for p in dig.problems},
        shown_ids=shown,
        verbose=verbose,
        top=top,
    )
    return text.rstrip("\n") + "\n"


def _source_label(result: AuditResult) -> str:
    return {
        "live": "Live catalog introspection (pg_catalog, read-only transaction)",
        "replay": "Migrations replayed into a throwaway PostgreSQL, then catalog introspection",
        "alembic": "Static analysis of the Alembic migration files (rendered offline, parsed with PostgreSQL's grammar)",
        "sql": "Static analysis of SQL migration files (parsed with PostgreSQL's grammar)",
    }.get(result.source_kind, result.source_kind)
