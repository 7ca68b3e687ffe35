"""The HTML report: one self-contained file, autoescaped, with an inline SVG summary chart.

No network fetches (no CDN scripts or fonts): the file must open on an
air-gapped reviewer's laptop. Everything from the database (names, comments,
DDL) goes through jinja2's autoescaping, so a table comment ``<script>`` is
shown as text, never run.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2

from schema_audit import __version__
from schema_audit.audit.engine import AuditResult
from schema_audit.audit.findings import STATUSES, sort_key
from schema_audit.render.markdown import ANSWER, build_categories, overall_verdict
from schema_audit.render.recommendations import BUCKETS, recommend

COLORS = {
    "PASS": "#2e7d32",
    "FAIL": "#c62828",
    "PARTIAL": "#f9a825",
    "DEFERRED": "#0277bd",
    "NOT_APPLICABLE": "#9e9e9e",
    "WAIVED": "#8e24aa",
}


def chart_bars(categories) -> list[dict]:  # type: ignore[no-untyped-def]
    """Stacked-bar geometry per category (percent widths), computed here so the template stays dumb."""
    bars = []
    for index, cat in enumerate(categories):
        total = sum(cat.counts.values()) or 1
        x = 0.0
        segments = []
        for status in STATUSES:
            n = cat.counts.get(status, 0)
            if n:
                width = 100.0 * n / total
                segments.append(
                    {
                        "status": status,
                        "x": round(x, 3),
                        "width": round(width, 3),
                        "n": n,
                        "color": COLORS[status],
                    }
                )
                x += width
        bars.append(
            {
                "label": f"{cat.id or '-'} {cat.title}",
                "segments": segments,
                "total": total,
                "y": index * 28 + 4,
            }
        )
    return bars


def render(result: AuditResult, *, date: str | None = None) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    categories = build_categories(result)
    findings = sorted(result.findings, key=sort_key)
    template = env.get_template("report.html.j2")
    return (
        template.render(
            spec=result.spec,
            result=result,
            date=date or result.spec.date or "(undated)",
            version=__version__,
            categories=categories,
            bars=chart_bars(categories),
            colors=COLORS,
            statuses=STATUSES,
            findings=findings,
            answer=ANSWER,
            overall=re.sub(r"[*✅❌⚠️\ufe0f]", "", overall_verdict(result)).strip(),
            recommendations=recommend(result),
            buckets=BUCKETS,
        ).rstrip("\n")
        + "\n"
    )
